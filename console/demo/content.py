"""What the demo workspace is made of: customers, offers, agents and ticket templates.

Realistic CSP support traffic in English and Japanese, and the hostile text real customers send.
"""

from __future__ import annotations

# (companyName, domain, culture, country, relationship: direct | indirect, services, offer kind)
CUSTOMERS: list[tuple[str, str, str, str, str, tuple[str, ...], str]] = [
    ("株式会社さくら商事", "sakura-shoji.co.jp", "ja-JP", "JP", "direct", ("office365", "azure"), "japan"),
    ("有限会社ヤマダ工務店", "yamada-koumuten.jp", "ja-JP", "JP", "indirect", ("office365",), "japan"),
    (
        "東京ロジスティクス株式会社",
        "tokyo-logi.co.jp",
        "ja-JP",
        "JP",
        "direct",
        ("azure", "dynamics365"),
        "japan_premium",
    ),
    ("みなと会計事務所", "minato-kaikei.jp", "ja-JP", "JP", "indirect", ("dynamics365", "office365"), "prepaid"),
    ("大阪フーズ株式会社", "osaka-foods.co.jp", "ja-JP", "JP", "direct", ("office365", "dynamics365"), "japan"),
    ("ﾐﾄﾞﾘ電機株式会社", "midori-denki.co.jp", "ja-JP", "JP", "indirect", ("azure",), "billing_only"),
    ("Ｆｕｌｌｗｉｄｔｈ ＡＢＣ株式会社", "abc-fullwidth.jp", "ja-JP", "JP", "direct", ("office365",), "japan"),
    ("Contoso Pharma GmbH", "contoso-pharma.de", "de-DE", "DE", "direct", ("azure", "office365"), "premium"),
    ("Fabrikam Retail Ltd", "fabrikam-retail.co.uk", "en-GB", "GB", "direct", ("dynamics365", "office365"), "standard"),
    ("Northwind Traders Inc.", "northwindtraders.com", "en-US", "US", "indirect", ("office365",), "standard"),
    ("Tailspin Toys", "tailspintoys.com", "en-US", "US", "direct", ("azure",), "per_incident"),
    ("Adatum Legal LLP", "adatum-legal.com", "en-US", "US", "indirect", ("office365", "dynamics365"), "prepaid"),
    ("Woodgrove Bank", "woodgrovebank.com", "en-US", "US", "direct", ("azure", "office365", "dynamics365"), "premium"),
    ("Litware Labs", "litwarelabs.io", "en-US", "US", "direct", ("azure",), "standard"),
    ("Proseware, Inc.", "proseware.com", "en-US", "US", "indirect", ("office365",), "billing_only"),
    ("Relecloud Travel", "relecloud.travel", "fr-FR", "FR", "direct", ("dynamics365", "azure"), "standard"),
    ("شركة النخيل للتجارة", "nakheel-trading.sa", "ar-SA", "SA", "direct", ("office365",), "standard"),
    (
        "[bold red]Evil[/] Corp [@click=app.quit]",
        "evil-corp.example",
        "en-US",
        "US",
        "direct",
        ("office365",),
        "standard",
    ),
    ("Zero\u200bWidth\u200d Holdings", "zerowidth.example", "en-US", "US", "indirect", ("azure",), "per_incident"),
]

# Name parts for the generated customers of a large demo.
JA_NAMES = ["さくら", "ひかり", "みどり", "あおば", "富士", "北斗", "青葉", "朝日", "桜井", "中央", "港北", "湘南"]
JA_TRADES = ["商事", "電機", "工業", "物流", "食品", "建設", "薬品", "システム", "不動産", "印刷"]
EN_NAMES = ["Alpine", "Blue Yonder", "Coho", "Datum", "Graphic", "Humongous", "Lamna", "Margie's", "Nod", "Trey"]
EN_TRADES = ["Winery", "Airlines", "Insurance", "Healthcare", "Research", "Media", "Logistics", "Foods"]

AGENTS: list[tuple[str, str, tuple[str, ...]]] = [
    ("aiko.tanaka", "田中 愛子", ("helpdesk_agent", "admin_agent")),
    ("kenji.sato", "佐藤 健二", ("global_admin",)),
    ("maria.garcia", "Maria Garcia", ("helpdesk_agent",)),
    ("tom.becker", "Tom Becker", ("billing_admin",)),
    ("li.wei", "Li Wei", ("helpdesk_agent", "user_admin")),
    ("priya.nair", "Priya Nair", ("sales_agent",)),
]

CONTACTS_JA = ["山田 太郎", "佐々木 花子", "鈴木 一郎", "高橋 美咲", "ﾔﾏﾀﾞ ﾀﾛｳ", "伊藤 直樹"]
CONTACTS_EN = ["Alex Morgan", "Sam Taylor", "Jordan Lee", "Chris Novak", "Dana Schmidt", "Robin Dubois"]

# Offers by kind: (name, supportTypes, timeZone or None for the customer's, serviceHours, holidayCalendar,
#                  contactMethods, pricingModel, price, currency or None for the customer's, prepaidHours)
OFFERS = {
    "japan": (
        "平日サポート (Japan business hours)",
        ["billing", "subscription", "technical"],
        "Asia/Tokyo",
        "mon-fri 09:00-18:00",
        "jp",
        ["phone", "email", "portal"],
        "per_incident",
        "30000",
        "JPY",
        None,
    ),
    "japan_premium": (
        "プレミアム 24時間サポート",
        ["billing", "subscription", "technical"],
        "Asia/Tokyo",
        "24x7",
        None,
        ["phone", "email", "chat", "portal"],
        "included",
        None,
        None,
        None,
    ),
    "standard": (
        "Standard business hours",
        ["billing", "subscription", "technical"],
        None,
        "mon-fri 09:00-17:00",
        None,
        ["email", "portal"],
        "included",
        None,
        None,
        None,
    ),
    "premium": (
        "Premium 24x7",
        ["billing", "subscription", "technical"],
        "UTC",
        "24x7",
        None,
        ["phone", "email", "chat", "portal"],
        "hourly",
        "150",
        "USD",
        None,
    ),
    "prepaid": (
        "Prepaid support hours",
        ["billing", "subscription", "technical"],
        None,
        "mon-fri 08:00-18:00; sat 09:00-12:00",
        None,
        ["phone", "email"],
        "prepaid_hours",
        "120",
        None,
        "1.5",
    ),
    "per_incident": (
        "Pay per incident",
        ["technical"],
        None,
        "mon-fri 09:00-17:00",
        None,
        ["email", "portal"],
        "per_incident",
        "250",
        "USD",
        None,
    ),
    "billing_only": (
        "Billing and licensing desk",
        ["billing", "subscription"],
        None,
        "mon-fri 09:00-17:00",
        None,
        ["email"],
        "included",
        None,
        None,
        None,
    ),
}

TIME_ZONES = {
    "JP": "Asia/Tokyo",
    "DE": "Europe/Berlin",
    "GB": "Europe/London",
    "US": "America/New_York",
    "FR": "Europe/Paris",
    "SA": "Asia/Riyadh",
}
CURRENCIES = {"JP": "JPY", "DE": "EUR", "GB": "GBP", "US": "USD", "FR": "EUR", "SA": "USD"}

# Subscription offers per service: (offerId, offerName, billingType, unitType)
SUBSCRIPTION_OFFERS = {
    "office365": [
        ("CFQ7TTC0LH18:0001", "Microsoft 365 Business Basic", "license", "Licenses"),
        ("CFQ7TTC0LDPB:0001", "Microsoft 365 Business Standard", "license", "Licenses"),
        ("CFQ7TTC0LCHC:0002", "Microsoft 365 Business Premium", "license", "Licenses"),
        ("CFQ7TTC0LF8Q:0001", "Office 365 E3", "license", "Licenses"),
        ("CFQ7TTC0LFLZ:0002", "Microsoft 365 E5", "license", "Licenses"),
        ("CFQ7TTC0LH16:0001", "Exchange Online (Plan 1)", "license", "Licenses"),
    ],
    "azure": [
        ("DZH318Z0BPS6:0001", "Azure plan", "usage", "Usage-based"),
        ("DZH318Z0BQ4V:0001", "Azure Reserved VM Instances (1 year)", "license", "Reservation"),
    ],
    "dynamics365": [
        ("CFQ7TTC0LF8S:0001", "Dynamics 365 Business Central Essentials", "license", "Licenses"),
        ("CFQ7TTC0LHWN:0001", "Dynamics 365 Sales Enterprise", "license", "Licenses"),
        ("CFQ7TTC0LFN0:0001", "Dynamics 365 Finance", "license", "Licenses"),
        ("CFQ7TTC0LGZT:0001", "Dynamics 365 Team Members", "license", "Licenses"),
    ],
}
ADDONS = {
    "office365": ("CFQ7TTC0LHPM:0001", "Microsoft Teams Phone Standard", "license", "Licenses"),
    "dynamics365": ("CFQ7TTC0LHXX:0001", "Dynamics 365 Customer Service Enterprise (Attach)", "license", "Licenses"),
}

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

# The "jp" holiday calendar: Japan's national holidays (Golden Week, the New Year holidays and the rest) and
# the partner's own year-end closing, 2025-2027.
HOLIDAYS_JP: list[tuple[str, str]] = [
    ("2025-11-03", "文化の日"),
    ("2025-11-24", "振替休日"),
    ("2025-12-29", "年末年始休業"),
    ("2025-12-30", "年末年始休業"),
    ("2025-12-31", "年末年始休業"),
    ("2026-01-01", "元日"),
    ("2026-01-02", "年末年始休業"),
    ("2026-01-12", "成人の日"),
    ("2026-02-11", "建国記念の日"),
    ("2026-02-23", "天皇誕生日"),
    ("2026-03-20", "春分の日"),
    ("2026-04-29", "昭和の日"),
    ("2026-05-03", "憲法記念日"),
    ("2026-05-04", "みどりの日"),
    ("2026-05-05", "こどもの日"),
    ("2026-05-06", "振替休日"),
    ("2026-07-20", "海の日"),
    ("2026-08-11", "山の日"),
    ("2026-09-21", "敬老の日"),
    ("2026-09-22", "国民の休日"),
    ("2026-09-23", "秋分の日"),
    ("2026-10-12", "スポーツの日"),
    ("2026-11-03", "文化の日"),
    ("2026-11-23", "勤労感謝の日"),
    ("2026-12-29", "年末年始休業"),
    ("2026-12-30", "年末年始休業"),
    ("2026-12-31", "年末年始休業"),
    ("2027-01-01", "元日"),
    ("2027-01-11", "成人の日"),
    ("2027-02-11", "建国記念の日"),
    ("2027-02-23", "天皇誕生日"),
    ("2027-03-22", "振替休日"),
    ("2027-04-29", "昭和の日"),
    ("2027-05-03", "憲法記念日"),
    ("2027-05-04", "みどりの日"),
    ("2027-05-05", "こどもの日"),
    ("2027-07-19", "海の日"),
    ("2027-08-11", "山の日"),
    ("2027-09-20", "敬老の日"),
    ("2027-09-23", "秋分の日"),
    ("2027-10-11", "スポーツの日"),
    ("2027-11-03", "文化の日"),
    ("2027-11-23", "勤労感謝の日"),
]
