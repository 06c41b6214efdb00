import KeywayModel

/// Finds values that look like credentials. A manifest names environment variables; a
/// token, key or password committed in one is an error, reported without the value.
enum SecretScanner {
    /// Prefixes of well-known credentials, with the minimum count of token characters
    /// that must follow, and what to call them in the message.
    private static let prefixes: [(prefix: String, minimumTail: Int, kind: String)] = [
        ("-----BEGIN", 0, "a PEM private key or certificate"),
        ("sk_live_", 8, "a Stripe secret key"), ("sk_test_", 8, "a Stripe secret key"),
        ("rk_live_", 8, "a Stripe restricted key"), ("rk_test_", 8, "a Stripe restricted key"),
        ("whsec_", 8, "a Stripe webhook secret"),
        ("xoxb-", 8, "a Slack bot token"), ("xoxp-", 8, "a Slack user token"), ("xoxa-", 8, "a Slack token"),
        ("xoxr-", 8, "a Slack refresh token"), ("xapp-", 8, "a Slack app token"),
        ("GOCSPX-", 8, "a Google OAuth client secret"), ("ya29.", 16, "a Google access token"),
        ("ghp_", 20, "a GitHub token"), ("gho_", 20, "a GitHub token"), ("github_pat_", 20, "a GitHub token"),
        ("secret_", 24, "a Notion token"), ("ntn_", 24, "a Notion token"),
        ("lin_api_", 16, "a Linear API key"), ("lin_oauth_", 16, "a Linear token"),
        ("pat-na1-", 16, "a HubSpot private app token"), ("pat-eu1-", 16, "a HubSpot private app token"),
        ("AKIA", 16, "an AWS access key"),
    ]

    /// What kind of secret `value` looks like, or nil.
    static func looksLikeSecret(_ value: String) -> String? {
        let bytes = Array(value.utf8)
        if bytes.count < 16 { return nil }
        for (prefix, minimumTail, kind) in prefixes {
            var searchFrom = value.startIndex
            while let range = value.range(of: prefix, range: searchFrom..<value.endIndex) {
                let tail = value[range.upperBound...].prefix { isTokenCharacter($0) }
                if tail.count >= minimumTail { return kind }
                searchFrom = range.upperBound
            }
        }
        // A JSON Web Token: three base64url parts, the first two JSON objects.
        if value.contains("eyJ") {
            for word in value.split(whereSeparator: { !(isTokenCharacter($0) || $0 == ".") }) {
                let parts = word.split(separator: ".", omittingEmptySubsequences: false)
                if parts.count == 3, parts[0].hasPrefix("eyJ"), parts[1].hasPrefix("eyJ"), parts[0].count >= 10 { return "a JSON Web Token" }
            }
        }
        // A long random-looking run: 32+ token characters mixing lower case, upper case and digits.
        for word in value.split(whereSeparator: { !(isTokenCharacter($0) || $0 == "+" || $0 == "=") }) where word.count >= 32 {
            var lower = false, upper = false, digit = false
            for c in word.unicodeScalars {
                if ("a"..."z").contains(c) { lower = true } else if ("A"..."Z").contains(c) { upper = true } else if ("0"..."9").contains(c) { digit = true }
            }
            if lower && upper && digit { return "a random-looking token" }
        }
        return nil
    }

    private static func isTokenCharacter(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == "-")
    }
}
