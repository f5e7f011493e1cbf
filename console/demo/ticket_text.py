"""What the demo's tickets say: templates per service and category, agents' notes, and hostile text.

Realistic CSP support traffic in English and Japanese, and the hostile text real customers send.
"""

from __future__ import annotations

# Ticket templates: (service, category, severity, title, body). {offer}, {seats}, {amount}, {company},
# {contact} are filled in per ticket.
TEMPLATES: list[tuple[str, str, str, str, str]] = [
    (
        "office365",
        "billing",
        "minimal",
        "Question about a prorated charge on the last invoice",
        "Hello, our invoice shows a prorated charge for {offer} that we do not understand. We added {seats} "
        "seats mid-month. Could you explain how the proration was calculated and whether it repeats next month?",
    ),
    (
        "office365",
        "subscription",
        "moderate",
        "Reduce {offer} seats from {seats}",
        "We over-bought licences for {offer} last month and would like to reduce by {seats} seats. Our "
        "purchasing team says the purchase was more than a week ago. Is a reduction still possible?",
    ),
    (
        "office365",
        "technical",
        "moderate",
        "Users cannot sign in to Outlook after password reset",
        "Since this morning around 20 users get an authentication loop in Outlook after the forced password "
        "reset. Web access works. We checked service health and see nothing reported.",
    ),
    (
        "office365",
        "technical",
        "critical",
        "Exchange Online mail flow stopped for the whole tenant",
        "No inbound mail since 07:40. Message trace shows messages deferred with 451 4.7.500. Production is "
        "down for all {seats} users. Please escalate to Microsoft immediately.",
    ),
    (
        "office365",
        "subscription",
        "minimal",
        "Trial of {offer} converting to paid",
        "We started a trial of {offer} about four weeks ago. We have not decided yet and do not want to be "
        "charged automatically. What happens at day 30?",
    ),
    (
        "office365",
        "subscription",
        "moderate",
        "More licences assigned than purchased",
        "The admin center shows a warning that we have assigned more {offer} licences than we purchased. "
        "How long do we have to fix this before users lose access?",
    ),
    (
        "office365",
        "billing",
        "minimal",
        "Request for a copy of invoice and payment confirmation",
        "Our accounts department needs a copy of the invoice and confirmation that our payment of {amount} "
        "was received.",
    ),
    (
        "azure",
        "billing",
        "moderate",
        "Azure spend above budget this month",
        "We got an alert that our Azure spending passed 80 % of the budget. Does Azure stop our virtual "
        "machines when the budget is reached? We cannot afford downtime.",
    ),
    (
        "azure",
        "technical",
        "critical",
        "Production VMs unreachable in Japan East",
        "All virtual machines in our production resource group in Japan East stopped responding at 02:10. "
        "Azure portal shows them running. Our e-commerce site is down.",
    ),
    (
        "azure",
        "subscription",
        "minimal",
        "Cancel a reserved instance bought by mistake",
        "We bought a 3-year reservation instead of 1-year last week. Can it be cancelled or exchanged, and "
        "what fee applies?",
    ),
    (
        "azure",
        "technical",
        "moderate",
        "Azure SQL database performance degraded",
        "DTU usage is at 100 % since the last maintenance window and queries time out. No code changes on our side.",
    ),
    (
        "azure",
        "billing",
        "minimal",
        "Why did our partner earned credit disappear?",
        "Our invoice no longer shows the discount we had before. We removed some admin access last month "
        "during a security review.",
    ),
    (
        "dynamics365",
        "technical",
        "critical",
        "Dynamics 365 Finance outage: posting fails for all users",
        "Since the update this morning no journal can be posted; every user gets an internal server error. "
        "Month-end close is blocked. This needs Microsoft.",
    ),
    (
        "dynamics365",
        "subscription",
        "moderate",
        "Add attach licences for Customer Service",
        "We want to add Customer Service Enterprise for {seats} users who already have Sales Enterprise. "
        "Can we buy attach licences?",
    ),
    (
        "dynamics365",
        "subscription",
        "minimal",
        "Reduce Dynamics 365 Finance below 20 users",
        "Only 12 people use Finance now. We would like to reduce our base licences to 12 at renewal.",
    ),
    (
        "dynamics365",
        "billing",
        "minimal",
        "Business Central invoice in the wrong currency",
        "The last invoice for Business Central was issued in USD but our contract says EUR.",
    ),
    (
        "dynamics365",
        "technical",
        "moderate",
        "Sales app sync with Outlook fails",
        "Server-side synchronization for {seats} mailboxes shows errors since yesterday.",
    ),
]

TEMPLATES_JA: list[tuple[str, str, str, str, str]] = [
    (
        "office365",
        "billing",
        "minimal",
        "請求書の金額について確認したい",
        "いつもお世話になっております。{company}の{contact}です。先月の請求書の金額が見積もりと異なっています。"
        "{offer}のライセンスを{seats}件追加した分の日割り計算だと思いますが、内訳をご確認いただけますでしょうか。",
    ),
    (
        "office365",
        "subscription",
        "moderate",
        "ライセンス数の削減について",
        "{offer}のライセンスを{seats}件減らしたいです。購入から一週間以上経っていますが、削減は可能でしょうか。"
        "ご確認をお願いいたします。",
    ),
    (
        "office365",
        "technical",
        "critical",
        "全社でメールが届かない",
        "今朝からすべてのユーザーでメールの受信ができません。業務が完全に停止しています。至急確認をお願いします。",
    ),
    (
        "azure",
        "billing",
        "moderate",
        "Azure の利用料金が予算を超えそう",
        "予算の80%に達したという通知が届きました。予算に達すると仮想マシンは停止されますか。金額の確認をお願いします。",
    ),
    (
        "azure",
        "technical",
        "critical",
        "東日本リージョンの仮想マシンに接続できない",
        "本番環境の仮想マシンに02:10から接続できません。ポータル上は実行中と表示されています。ECサイトが停止中です。",
    ),
    (
        "dynamics365",
        "technical",
        "critical",
        "Dynamics 365 で仕訳の転記ができない",
        "本日の更新以降、全ユーザーで仕訳の転記時にエラーが発生します。月次決算が止まっています。",
    ),
    (
        "dynamics365",
        "subscription",
        "minimal",
        "試用版の有料への切り替えについて",
        "{offer}の試用版を利用中です。30日後に自動で有料に切り替わりますか。確認させてください。",
    ),
]

#: The templates of tickets that ask about a prorated charge for seats added (their customers' newest invoices
#: carry the prorated lines, for the offer and seats the ticket names).
PRORATION = frozenset(t for t in TEMPLATES + TEMPLATES_JA if "prorat" in t[4] or "日割り" in t[4])

NOTES_EN = [
    "Checked service health: no active incident for this tenant.",
    "Called the customer back; they confirmed the issue started after the change on Monday.",
    "Reviewed the subscription in Partner Center; NCE window already closed.",
    "Asked the customer for a message trace export.",
]
NOTES_JA = [
    "サービス正常性を確認しました。障害情報はありません。",
    "お客様に折り返し電話し、金額の内訳を説明しました。",
    "Partner Center でサブスクリプションの状態を確認済み。",
]

# Hostile text that real customers (and broken mail gateways) send. It must render literally.
HOSTILE: list[tuple[str, str]] = [
    (
        "[bold red]URGENT[/] [@click=app.quit]click here[/] to fix billing",
        "Please [link=https://evil.example]verify your account[/link] [@click=app.quit]now[/]. "
        "[reverse]This text must show its brackets.[/reverse]",
    ),
    (
        "Terminal \x1b[31mred\x1b[0m title \x1b]0;pwned\x07 with escapes",
        "Body with \x1b[2J clear-screen, \x1b[?1049h alt screen, bell \x07 and backspace \x08 characters.",
    ),
    (
        "Invoice \u202eexe.fdp\u202c from right-to-left override",
        "Mixed direction: مرحبا hello שלום. Zero width:\u200b\u200c\u200d\ufeff between letters.",
    ),
    (
        "x" * 40 + "VeryLongUnbrokenTitle" + "y" * 180,
        ("A very long line without breaks " * 40) + "\n" + ("全角文字の長い行です。" * 60),
    ),
    (
        "20 KB body pasted from a log file",
        "\n".join(
            f"2026-11-20T09:{i % 60:02d}:00Z ERROR AADSTS50076 request {i:05d} failed [trace]" for i in range(300)
        ),
    ),
]
