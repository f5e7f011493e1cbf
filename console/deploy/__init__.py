"""Is this host set up as the README's shared-host recipe says? (``csp-console deploy check``)
Owners and modes of the desk's files, sshd's and sudo's rules for the agents; no Textual."""
