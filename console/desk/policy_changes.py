"""Reading and changing the desk's policy (``desk.rules``): any agent reads it; a Global admin (``policy.set``)
sets or unsets a rule, checked, audited with its value before and after, in one transaction. A role map that
would leave nobody able to change the policy or manage agents is refused (no lock-out)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from console.desk.policy import RULES, DeskPolicy, PolicyError, parse_value, policy_of, rule

if TYPE_CHECKING:
    from console.desk.door import Desk

#: The actions somebody must keep: without them nobody could undo the change.
KEEP_REACHABLE = ("policy.set", "agents.manage")


class LockOut(PolicyError):
    """A role map change that would leave nobody able to change the policy or manage agents."""


class PolicyDesk:
    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    def show(self) -> list[dict[str, Any]]:
        """Every desk rule: its key, its value in force, its default, whether it was set, what it means. Any agent
        of the workspace reads them (the desk exists only for one), whatever the role map says."""
        from console.desk.policy import read_policy

        policy = read_policy(self.desk.ws)
        return [
            {
                "key": key,
                "value": policy.value(key),
                "default": r.default,
                "set": key in policy.stored,
                "help": r.help,
            }
            for key, r in RULES.items()
        ]

    def set(self, key: str, text: str) -> dict[str, Any]:
        """Set rule ``key`` to ``text`` (as typed); the audit row and the answer hold the value before and after."""
        self.desk.authorize("policy.set")
        key = rule(key).key
        return self._change(key, parse_value(key, text))

    def unset(self, key: str) -> dict[str, Any]:
        """Put rule ``key`` back to its default."""
        self.desk.authorize("policy.set")
        return self._change(rule(key).key, None)

    def _change(self, key: str, value: Any) -> dict[str, Any]:
        ws, agent = self.desk.ws, self.desk.agent
        with ws.transaction():
            stored = ws.policy.rules()
            before = stored.get(key, RULES[key].default)
            after = RULES[key].default if value is None else value
            changed = {k: v for k, v in stored.items() if k != key}
            if value is not None:
                changed[key] = value
            policy = policy_of(changed)
            if key.startswith("roles."):
                self._refuse_lock_out(policy)
                self._refresh_database(policy)
            if value is None:
                ws.policy.remove(key)
            else:
                ws.policy.put(key, value, agent)
            ws.audit(agent, "policy.set", "policy", key, {"before": before, "after": after, "set": value is not None})
        self.desk.use_policy(policy)
        moved = self._recompute_clocks() if key.startswith("sla.") or key == "time_zone" else 0
        return {"key": key, "before": before, "after": after, "clocksChanged": moved}

    def _refuse_lock_out(self, policy: DeskPolicy) -> None:
        """Somebody, an agent of this workspace when it has any, must still be allowed each of KEEP_REACHABLE."""
        from console.desk.roles import RoleMap

        role_map = RoleMap(policy.roles)
        agents = self.desk.ws.agents.agents()
        for action in KEEP_REACHABLE:
            roles = sorted(role_map.map[action])
            if not roles:
                raise LockOut(
                    f"roles.{action} may not be empty: nobody could {action} any more (a lock-out); keep "
                    "global_admin in it"
                )
            if agents and not any(role_map.allowed(a["roles"], action) for a in agents):
                raise LockOut(
                    f"roles.{action} = {','.join(roles)} would leave no agent of this workspace able to {action} "
                    "(a lock-out); give one of these roles to an agent first, or keep global_admin in it"
                )

    def _refresh_database(self, policy: DeskPolicy) -> None:
        """A PostgreSQL workspace set up for agents' own roles (``workspace grants``) keeps the role map in the
        database for its row-level security: made the new one in this change's transaction."""
        from console.desk.db_grants import refresh_after_policy
        from console.desk.roles import RoleMap

        refresh_after_policy(self.desk.ws, RoleMap(policy.roles).map)

    def _recompute_clocks(self) -> int:
        """The open tickets' clocks under the new SLA defaults (as after a change of offers)."""
        from console.sla.clocks import recompute_open

        return recompute_open(self.desk.ws, self.desk.clocks)
