/// Finds values that look like credentials. A manifest names environment variables; a
/// token, key or password committed in one is an error, reported without the value. The
/// call log redacts what it finds in a logged tool call (`CallLogPolicy`) by the same rule.
///
/// It runs on every scalar of every manifest, so it works on UTF-8 bytes in one pass:
/// the value is cut into tokens (runs of letters, digits, `_`, `-`, `.`, `+`, `/`, `=`
/// are split further below) and each token is checked against known shapes.
public enum SecretScanner {
    /// Prefixes of well-known credentials, with the minimum count of token characters
    /// that must follow, and what to call them in the message.
    private static let prefixes: [(prefix: [UInt8], minimumTail: Int, kind: String)] = [
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
    ].map { (Array($0.0.utf8), $0.1, $0.2) }

    /// Whether some prefix starts with the byte: most token parts start with none, and
    /// are passed over without a look at the list.
    private static let prefixStarts: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for entry in prefixes { table[Int(entry.prefix[0])] = true }
        return table
    }()

    /// What kind of secret `value` looks like, or nil.
    public static func looksLikeSecret(_ value: String) -> String? {
        var value = value
        return value.withUTF8 { scan($0) }
    }

    private static func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        if bytes.count < 16 { return nil }
        var start = 0
        while start < bytes.count {
            // A token: the longest run of characters that credentials are made of.
            guard isTokenByte(bytes[start]) || bytes[start] == UInt8(ascii: "-") else { start += 1; continue }
            var end = start
            while end < bytes.count, isTokenByte(bytes[end]) || isExtendedTokenByte(bytes[end]) { end += 1 }
            if let kind = classify(UnsafeBufferPointer(rebasing: bytes[start..<end])) { return kind }
            start = end
        }
        return nil
    }

    private static func classify(_ token: UnsafeBufferPointer<UInt8>) -> String? {
        if token.count < 8 { return nil }
        // Known prefixes, anywhere a token part starts (after '=', '/', '.', '+' too).
        for (offset, byte) in token.enumerated() where prefixStarts[Int(byte)] && (offset == 0 || !isTokenByte(token[offset - 1]) || byte == UInt8(ascii: "-")) {
            for (prefix, minimumTail, kind) in prefixes where token.count - offset >= prefix.count + minimumTail {
                if byte == prefix[0], zip(token[offset...], prefix).allSatisfy({ $0 == $1 }) {
                    var tail = 0
                    var i = offset + prefix.count
                    while i < token.count, isTokenByte(token[i]) { tail += 1; i += 1 }
                    if tail >= minimumTail { return kind }
                }
            }
        }
        // A JSON Web Token: base64url parts separated by dots, the first two JSON objects
        // (split only for a token that starts like one).
        if token.starts(with: "eyJ".utf8) {
            let parts = token.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
            if parts.count == 3, parts[0].count >= 10, parts[1].starts(with: "eyJ".utf8) {
                return "a JSON Web Token"
            }
        }
        // A long random-looking run: 32+ characters between dots and slashes, mixing lower
        // case, upper case and digits.
        guard token.count >= 32 else { return nil }
        var partStart = 0
        for end in 0...token.count where end == token.count || token[end] == UInt8(ascii: ".") || token[end] == UInt8(ascii: "/") {
            if end - partStart >= 32 && isMixed(UnsafeBufferPointer(rebasing: token[partStart..<end])) { return "a random-looking token" }
            partStart = end + 1
        }
        return nil
    }

    /// Whether the bytes hold a lower-case letter, an upper-case letter and a digit.
    private static func isMixed(_ part: UnsafeBufferPointer<UInt8>) -> Bool {
        var lower = false, upper = false, digit = false
        for c in part {
            switch c {
            case UInt8(ascii: "a")...UInt8(ascii: "z"): lower = true
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): upper = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = true
            default: break
            }
        }
        return lower && upper && digit
    }

    /// Letters, digits, `_` and `-`: what a token's body is made of.
    private static func isTokenByte(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "-"): true
        default: false
        }
    }

    /// Characters that join token parts: base64 (`+`, `/`, `=`) and JWT/Google (`.`).
    private static func isExtendedTokenByte(_ c: UInt8) -> Bool {
        c == UInt8(ascii: ".") || c == UInt8(ascii: "+") || c == UInt8(ascii: "/") || c == UInt8(ascii: "=")
    }
}
