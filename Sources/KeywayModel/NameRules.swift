import KeywayContract

/// The names a tool input may have, one rule each: read by the validator, and by
/// `tools import`, which drafts only what validates.
public enum NameRules {
    /// Input and property names: `^[A-Za-z_][A-Za-z0-9_.-]{0,63}$` — JSON keys, query
    /// parameters and headers (`X-Request-Id`); Swift property names are derived from them.
    public static func isInputName(_ s: String) -> Bool {
        guard let first = s.utf8.first, s.utf8.count <= 64, isAlpha(first) || first == UInt8(ascii: "_") else { return false }
        return s.utf8AllSatisfy { isAlpha($0) || isDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
    }

    /// An HTTP field name: a token of RFC 9110.
    public static func isHeaderToken(_ s: String) -> Bool {
        !s.isEmpty && s.unicodeScalars.allSatisfy(tokenCharacters.contains)
    }

    /// What is wrong with `wire`, the name input `input` goes by in `placement`, or nil.
    public static func wireProblem(_ wire: String, placement: InputPlacement, input: String) -> String? {
        if placement == .path { return "input '\(input)' goes in the path, where it is named by its '{\(input)}' placeholder; remove 'wire'" }
        if wire.isEmpty || wire.utf8.count > 128 { return "'wire' must be 1 to 128 characters" }
        if wire == input { return "'wire' is the input's own name; remove it" }
        if wire.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }) {
            return "'wire' must not contain spaces or control characters"
        }
        if placement == .header && !isHeaderToken(wire) {
            return "a header name is letters, digits and !#$%&'*+-.^_`|~ only (RFC 9110), not '\(wire.forDiagnostic)'"
        }
        return nil
    }

    private static let tokenCharacters = Set("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".unicodeScalars)
    private static func isAlpha(_ c: UInt8) -> Bool { (97...122).contains(c) || (65...90).contains(c) }
    private static func isDigit(_ c: UInt8) -> Bool { (48...57).contains(c) }
}
