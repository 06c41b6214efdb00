import Foundation
import KeywayModel

/// Checks of single values: names, URLs, environment variables, secrets.
enum FormatRules {
    /// `^[a-z0-9][a-z0-9-]*$`, at most 64 characters: integration keys, connector slugs,
    /// providers. It also keeps `../` and `/` out of every file name derived from them.
    static func isSlug(_ s: String) -> Bool { Slug.isValid(s) }

    /// Tool names: what LLM APIs accept for a function name, starting with a letter.
    /// `^[A-Za-z][A-Za-z0-9_-]{0,63}$`
    static func isToolName(_ s: String) -> Bool {
        guard let first = s.utf8.first, s.utf8.count <= 64, isAlpha(first) else { return false }
        return s.utf8AllSatisfy { isAlpha($0) || isDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// `^[A-Z][A-Z0-9_]*$`: an environment variable name.
    static func isEnvironmentVariable(_ s: String) -> Bool {
        guard let first = s.utf8.first, s.utf8.count <= 128, (65...90).contains(first) else { return false }
        return s.utf8AllSatisfy { (65...90).contains($0) || isDigit($0) || $0 == UInt8(ascii: "_") }
    }

    /// `^[a-z][a-z0-9_]*$`: secret names (client_id) and environment names (production).
    static func isSnakeName(_ s: String) -> Bool {
        guard let first = s.utf8.first, s.utf8.count <= 64, (97...122).contains(first) else { return false }
        return s.utf8AllSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    private static func isLowerAlnum(_ c: UInt8) -> Bool { (97...122).contains(c) || isDigit(c) }
    private static func isAlpha(_ c: UInt8) -> Bool { (97...122).contains(c) || (65...90).contains(c) }
    private static func isDigit(_ c: UInt8) -> Bool { (48...57).contains(c) }

    static func hasControlCharacters(_ s: String) -> Bool {
        // Fast path: printable ASCII only, where no character is a control or format one.
        if s.utf8AllSatisfy({ (0x20...0x7E).contains($0) }) { return false }
        return s.unicodeScalars.contains { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format || $0 == "\u{2028}" || $0 == "\u{2029}" }
    }

    static func hasControlOrSpace(_ s: String) -> Bool {
        // Fast path: printable ASCII only.
        if s.utf8AllSatisfy({ (0x21...0x7E).contains($0) }) { return false }
        return s.unicodeScalars.contains { $0.properties.isWhitespace || $0.properties.generalCategory == .control || $0.properties.generalCategory == .format }
    }

    /// Why a redirect URI is not acceptable, or nil. Rules: absolute, exact (no wildcard,
    /// no fragment, no credentials), https; http only for loopback hosts outside production.
    static func redirectURIProblem(_ uri: String, environment: String) -> String? {
        // Asked once per URI and environment in a process: integrations share their
        // redirect URIs (Nango's callback), and parsing one is the dearest check of an
        // integration.
        knownRedirects.answer(RedirectKey(uri: uri, environment: environment)) { _ in checkRedirectURI(uri, environment: environment) }
    }

    private struct RedirectKey: Hashable, Sendable {
        // The bytes: two spellings Swift holds equal are two URIs to a browser.
        var uri: [UInt8]
        var environment: String
        init(uri: String, environment: String) {
            self.uri = Array(uri.utf8)
            self.environment = environment
        }
    }
    private static let knownRedirects = Memo<RedirectKey, String?>()

    private static func checkRedirectURI(_ uri: String, environment: String) -> String? {
        if uri.utf8.contains(UInt8(ascii: "*")) { return "a redirect URI must be exact: wildcards are not allowed" }
        if hasControlOrSpace(uri) { return "a redirect URI must not contain spaces or control characters" }
        if uri.utf8.contains(UInt8(ascii: "#")) { return "a redirect URI must not have a fragment ('#…')" }
        guard let url = URLComponents(string: uri), let scheme = url.scheme?.lowercased(),
              let host = url.host, !host.isEmpty else {
            return "a redirect URI must be absolute, like https://api.nango.dev/oauth/callback"
        }
        if url.user != nil || url.password != nil { return "a redirect URI must not carry credentials (user:password@)" }
        switch scheme {
        case "https": return nil
        case "http":
            if environment == "production" { return "production redirect URIs must use https" }
            return isLoopback(host) ? nil : "http is allowed only for loopback hosts (localhost, 127.0.0.1, [::1]); use https"
        default:
            return "a redirect URI must use https (http only for loopback outside production), not '\(scheme.forDiagnostic)'"
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if h == "localhost" || h == "::1" { return true }
        let parts = h.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// Why a URL of a console or documentation page is not acceptable, or nil.
    static func httpsURLProblem(_ s: String) -> String? {
        guard !hasControlOrSpace(s), let url = URLComponents(string: s), url.scheme?.lowercased() == "https",
              let host = url.host, !host.isEmpty, url.user == nil, url.password == nil else {
            return "must be an absolute https URL"
        }
        return nil
    }
}

extension String {
    /// Whether the string holds `needle`, an ASCII string, byte for byte (ASCII letters
    /// without case when asked): a scan of the UTF-8 bytes, for the checks every value goes
    /// through.
    func containsASCII(_ needle: StaticString, ignoringCase: Bool = false) -> Bool {
        let n = UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
        guard let first = n.first else { return true }
        func fold(_ b: UInt8) -> UInt8 { ignoringCase && b >= 0x41 && b <= 0x5A ? b + 0x20 : b }
        // The string's own bytes, not a copy (a native string is contiguous UTF-8).
        var string = self
        return string.withUTF8 { bytes in
            guard bytes.count >= n.count else { return false }
            for i in 0...(bytes.count - n.count) where fold(bytes[i]) == fold(first) {
                var j = 1
                while j < n.count, fold(bytes[i + j]) == fold(n[j]) { j += 1 }
                if j == n.count { return true }
            }
            return false
        }
    }
}
