namespace Kb4Collector.Emulator;

/// <summary>A user-event type of the KnowBe4 console use cases, with what a realistic event of it carries.</summary>
internal sealed record EventTypeTemplate(
    string Name,
    string Description,
    int Weight,
    int BaseRisk,
    string ExternalIdPrefix,
    IReadOnlyList<string> Sources,
    IReadOnlyList<string> Descriptions);

/// <summary>Fixed data the seeded generator draws from.</summary>
internal static class SeedCatalogue
{
    public static readonly IReadOnlyList<EventTypeTemplate> EventTypes =
    [
        new("Unlocked Computer", "Workstation left unlocked and unattended", 10, 3, "WALK",
            ["Clean Desk Audit", "Physical Security Walkthrough"],
            ["Workstation found unlocked during walkthrough", "Laptop left unlocked in a meeting room", "Screen not locked at shared desk"]),
        new("Lost or Stolen Equipment", "Company laptop, phone or badge reported lost or stolen", 3, 6, "INC",
            ["ServiceNow", "IT Asset Management"],
            ["Laptop reported stolen from vehicle", "Mobile phone reported lost while travelling", "Access badge reported lost"]),
        new("Out of Office", "Employee on extended leave", 5, 0, "LOA",
            ["Workday", "BambooHR"],
            ["Extended leave started", "Sabbatical recorded by HR", "Parental leave started"]),
        new("Non-Simulated Phishing Incident", "User interacted with a real phishing email", 20, 8, "PHISH",
            ["PhishER", "Microsoft Defender for Office 365", "Proofpoint TAP"],
            ["Clicked a credential-harvesting link in a real phishing email", "Opened a malicious attachment", "Replied to a business email compromise attempt"]),
        new("Blocked Website Visit", "Web filter blocked a visit to a malicious or prohibited site", 30, 4, "WEB",
            ["Zscaler", "Cisco Umbrella", "Palo Alto Networks"],
            ["Visit to a known phishing domain blocked", "Visit to a newly registered domain blocked", "Download from an uncategorised site blocked"]),
        new("Password Lockout", "Account locked after repeated failed sign-ins", 20, 2, "AUTH",
            ["Okta", "Microsoft Entra ID", "Active Directory"],
            ["Account locked after 5 failed sign-ins", "Account locked after 10 failed sign-ins", "MFA lockout after repeated denied prompts"]),
        new("Certification", "Employee earned a security certification", 4, -5, "CERT",
            ["Credly", "LMS"],
            ["Earned CompTIA Security+", "Earned ISC2 CC", "Earned GIAC GSEC"]),
        new("External Training", "Employee completed security training outside KnowBe4", 8, -3, "TRN",
            ["LinkedIn Learning", "Coursera", "LMS"],
            ["Completed secure coding course", "Completed privacy awareness module", "Attended incident response tabletop"]),
    ];

    public static readonly int TotalWeight = EventTypes.Sum(type => type.Weight);

    public static readonly IReadOnlyList<string> FirstNames =
    [
        "james", "mary", "robert", "patricia", "john", "jennifer", "michael", "linda", "david", "elizabeth",
        "william", "barbara", "richard", "susan", "joseph", "jessica", "thomas", "sarah", "charles", "karen",
        "amara", "chen", "diego", "fatima", "hiroshi", "ingrid", "kwame", "lucia", "mateo", "noor",
        "olga", "priya", "rafael", "sofia", "tariq", "yara", "zoe", "aiden", "bianca", "emil",
    ];

    public static readonly IReadOnlyList<string> LastNames =
    [
        "smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "rodriguez", "martinez",
        "hernandez", "lopez", "gonzalez", "wilson", "anderson", "thomas", "taylor", "moore", "jackson", "martin",
        "lee", "perez", "thompson", "white", "harris", "sanchez", "clark", "ramirez", "lewis", "robinson",
        "walker", "young", "allen", "king", "wright", "scott", "torres", "nguyen", "hill", "flores",
    ];

    public static readonly IReadOnlyList<string> BlockedDomains =
    [
        "login-microsoft-verify.top", "secure-docs-share.xyz", "paypa1-support.com", "free-crypto-airdrop.io", "invoice-portal.click",
    ];
}
