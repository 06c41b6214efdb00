/// What names a credential, in one place: keyway's database lint flags such a column that
/// is exposed without row level security (`COL101`), and the call log keeps `[redacted]`
/// for the value of such a key.
///
/// A name is compared by its ASCII letters without case, `_` and `-` left out (`API_Key`,
/// `api-key` and `apikey` alike), as PostgreSQL compares a column's name (its collation is
/// C: a letter that folds to ASCII only under Unicode rules, such as the Kelvin sign, is
/// not that ASCII letter).
public enum CredentialName {
    /// What marks a credential wherever it appears in a name: Supabase's linter's
    /// (splinter 0023) `token|secret|password|passwd|api_?key|private_?key|credential`.
    public static let fragments = ["token", "secret", "password", "passwd", "apikey", "privatekey", "credential"]

    /// Names that are a credential only as the whole name: HTTP's headers that carry one,
    /// and `pass` (which `passport` and `bypass` are not).
    public static let wholeNames: Set<String> = ["pass", "bearer", "authorization", "proxyauthorization", "cookie", "setcookie"]

    /// Whether `name` names a credential: it holds one of `fragments`, or is one of `wholeNames`.
    public static func matches(_ name: String) -> Bool {
        var folded: [UInt8] = []
        folded.reserveCapacity(name.utf8.count)
        for byte in name.utf8 where byte != UInt8(ascii: "_") && byte != UInt8(ascii: "-") {
            folded.append((UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte)
        }
        if needles.contains(where: { folded.contains(needle: $0) }) { return true }
        return wholeNames.contains(String(decoding: folded, as: UTF8.self))
    }

    /// `fragments` as bytes, made once: the call log asks for every key it keeps.
    private static let needles = fragments.map { Array($0.utf8) }
}

private extension Array where Element == UInt8 {
    /// Whether `needle` occurs in these bytes.
    func contains(needle: [UInt8]) -> Bool {
        guard count >= needle.count else { return false }
        return (0...(count - needle.count)).contains { self[$0..<$0 + needle.count].elementsEqual(needle) }
    }
}
