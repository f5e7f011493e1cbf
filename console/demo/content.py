"""What the demo workspace's accounts are made of: customers, their subscriptions and support offers, agents,
contacts and holidays (what the tickets say is in ``ticket_text``).

Customers in English and Japanese (full- and half-width among them), and the hostile names real data holds.
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

#: The demo's price list: per licence per month on an annual term, in USD (a monthly term costs 20 % more;
#: a reservation's price is per month). Offer names as Microsoft's new-commerce price list names them.
PRICES_USD = {
    "Microsoft 365 Business Basic": "6.00",
    "Microsoft 365 Business Standard": "12.50",
    "Microsoft 365 Business Premium": "22.00",
    "Office 365 E3": "23.00",
    "Microsoft 365 E5": "57.00",
    "Exchange Online (Plan 1)": "4.00",
    "Microsoft Teams Phone Standard": "10.00",
    "Azure Reserved VM Instances (1 year)": "2000.00",
    "Dynamics 365 Business Central Essentials": "80.00",
    "Dynamics 365 Sales Enterprise": "105.00",
    "Dynamics 365 Finance": "210.00",
    "Dynamics 365 Team Members": "8.00",
    "Dynamics 365 Customer Service Enterprise (Attach)": "20.00",
}
#: What one USD of the price list is in each currency the demo invoices in (the partner's own rates).
FX_FROM_USD = {"USD": "1", "JPY": "150", "EUR": "0.92", "GBP": "0.79"}

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
