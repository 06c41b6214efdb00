import KeywayContract
import KeywayModel

/// Escaping of manifest strings for each language keyway writes. Every string that
/// reaches an artifact goes through one of these; none is pasted raw.
public enum Literal {
    /// A Swift string literal (`"…"`) that evaluates to exactly `s`. Quotes, backslashes
    /// (so `\(` cannot interpolate) and every control, format, separator or private-use
    /// scalar — bidirectional overrides included (Trojan Source) — are written as escapes.
    public static func swift(_ s: String) -> String {
        quoted(s, escape: swiftEscape)
    }

    /// `swift(s)`, appended to `out` as UTF-8.
    static func appendSwift(_ s: String, to out: inout [UInt8]) {
        appendQuoted(s, to: &out, escape: swiftEscape)
    }

    private static func swiftEscape(_ scalar: Unicode.Scalar) -> String {
        "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
    }

    /// A JSON string literal for `s` (RFC 8259), with the same scalars escaped as in Swift
    /// so the file shows no invisible characters.
    public static func json(_ s: String) -> String {
        quoted(s, escape: jsonEscape)
    }

    /// `json(s)`, appended to `out` as UTF-8.
    static func appendJSON(_ s: String, to out: inout [UInt8]) {
        appendQuoted(s, to: &out, escape: jsonEscape)
    }

    private static func jsonEscape(_ scalar: Unicode.Scalar) -> String {
        scalar.value > 0xFFFF
            ? String(scalar).utf16.map { "\\u" + hex4(UInt32($0)) }.joined()
            : "\\u" + hex4(scalar.value)
    }

    /// Whether `s` is printable ASCII without a quote or a backslash: written as it is.
    @inline(__always)
    private static func isPlain(_ s: String) -> Bool {
        s.utf8AllSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }
    }

    /// `"…"` with quotes, backslashes and the usual control characters escaped as Swift
    /// and JSON both write them, and every other invisible scalar by `escape`.
    private static func quoted(_ s: String, escape: (Unicode.Scalar) -> String) -> String {
        // Most strings are printable ASCII with nothing to escape: copied as they are,
        // into a string made once at its length (`"\"" + s + "\""` makes two).
        if isPlain(s) {
            var s = s
            return s.withUTF8 { bytes in
                String(unsafeUninitializedCapacity: bytes.count + 2) { out in
                    out[0] = UInt8(ascii: "\"")
                    _ = UnsafeMutableBufferPointer(rebasing: out[1...]).initialize(from: bytes)
                    out[bytes.count + 1] = UInt8(ascii: "\"")
                    return bytes.count + 2
                }
            }
        }
        var out: [UInt8] = []
        appendQuoted(s, to: &out, escape: escape)
        return String(decoding: out, as: UTF8.self)
    }

    private static func appendQuoted(_ s: String, to out: inout [UInt8], escape: (Unicode.Scalar) -> String) {
        out.append(UInt8(ascii: "\""))
        if isPlain(s) {
            out.appendUTF8(s)
        } else {
            func escaped(_ c: Unicode.Scalar) {
                out.append(UInt8(ascii: "\\"))
                out.append(UInt8(ascii: c))
            }
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": escaped("\"")
                case "\\": escaped("\\")
                case "\n": escaped("n")
                case "\r": escaped("r")
                case "\t": escaped("t")
                default:
                    if needsEscape(scalar) {
                        out.appendUTF8(escape(scalar))
                    } else {
                        UTF8.encode(scalar) { out.append($0) }
                    }
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func hex4(_ v: UInt32) -> String {
        let h = String(v, radix: 16, uppercase: false)
        return String(repeating: "0", count: max(0, 4 - h.count)) + h
    }

    /// Control characters, format characters (bidi overrides, zero-width joiners…),
    /// line/paragraph separators, private-use and unassigned scalars.
    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool { scalar.isInvisible }

    /// A Swift array literal of elements already written as Swift.
    static func swiftArray(_ elements: [String]) -> String { "[" + elements.joined(separator: ", ") + "]" }

    /// A Swift dictionary literal of keys and values already written as Swift; `[:]` when empty.
    static func swiftDictionary(_ pairs: [(key: String, value: String)]) -> String {
        pairs.isEmpty ? "[:]" : "[" + pairs.map { $0.key + ": " + $0.value }.joined(separator: ", ") + "]"
    }

    /// A language's literals: a string, and a list of strings. The catalog's two
    /// renderings (Swift and JSON) take one of these, so neither borrows the other's syntax.
    struct Style: Sendable {
        let string: @Sendable (String) -> String
        let stringList: @Sendable ([String]) -> String

        static let swift = Style(string: Literal.swift, stringList: { Literal.swiftArray($0.map(Literal.swift)) })
        static let json = Style(string: Literal.json, stringList: { OrderedJSON.array($0.map(OrderedJSON.string)).json(indent: nil) })
    }

}

extension Literal {
    /// A SQL string literal for `s`. Quotes are doubled; a string with a backslash is
    /// written as PostgreSQL's E'…' with the backslash doubled too, so that it means the
    /// same whatever `standard_conforming_strings` says. SQLite takes '…' as is.
    /// (NUL cannot occur: the loader refuses it.)
    public static func sql(_ s: String, dialect: SQLDialect) -> String {
        let quoted = s.replacingOccurrences(of: "'", with: "''")
        if dialect == .postgres && s.contains("\\") {
            return "E'" + quoted.replacingOccurrences(of: "\\", with: "\\\\") + "'"
        }
        return "'" + quoted + "'"
    }
}

extension Literal {
    /// Text for Markdown prose, on one line, that stays text: the characters that open
    /// inline syntax (emphasis, code, links, tables, strikethrough, headings) are
    /// backslash-escaped, `<`, `>` and `&` become entities (no HTML), and a word GitHub
    /// would turn into a link by itself (a URL, `www.`, an email address) becomes a code
    /// span, so a manifest string cannot add a link, an image or markup.
    ///
    /// `tableCell`: the text is a cell of a table, where a `|` ends the cell even inside a
    /// code span, so the code spans made here escape it too (prose escapes it anyway).
    public static func markdown(_ s: String, tableCell: Bool = false) -> String {
        // Printable ASCII words (spaces only between them) with nothing that could make a
        // link: escaped as one piece.
        if s.utf8AllSatisfy(isPrintableASCII), !mayHoldLink(s) { return escapeProse(s) }
        var words: [String] = []
        for word in s.split(omittingEmptySubsequences: false, whereSeparator: { $0 == " " || $0.isNewline || $0 == "\t" }) {
            let w = String(word)
            words.append(isLinkLike(w) ? (tableCell ? escapingPipes(markdownCode(w)) : markdownCode(w)) : escapeProse(w))
        }
        return words.joined(separator: " ")
    }

    @inline(__always)
    static func isPrintableASCII(_ byte: UInt8) -> Bool { byte >= 0x20 && byte < 0x7F }

    /// Whether a word may be a URL, a `www.` address or an email address, judged on its
    /// bytes as GitHub's autolinker reads them: `://`, `www.` (any case), `mailto:` first,
    /// or an `@` with a `.` after it. A combining mark after a character does not hide it.
    static func isLinkLike(_ word: String) -> Bool {
        let bytes = Array(word.utf8).map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }
        func contains(_ needle: String) -> Bool {
            let n = Array(needle.utf8)
            guard bytes.count >= n.count else { return false }
            return (0...(bytes.count - n.count)).contains { bytes[$0..<($0 + n.count)].elementsEqual(n) }
        }
        if contains("://") || contains("www.") || bytes.starts(with: "mailto:".utf8) { return true }
        guard let at = bytes.firstIndex(of: UInt8(ascii: "@")) else { return false }
        return bytes[(at + 1)...].contains(UInt8(ascii: "."))
    }

    /// Whether some word of `s` may be a URL, `www.` address or email address (`markdown`
    /// makes those code spans): `://`, `www.` or `mailto:` in any case, or an `@`.
    static func mayHoldLink(_ s: String) -> Bool {
        s.utf8.withContiguousStorageIfAvailable(mayHoldLink) ?? Array(s.utf8).withUnsafeBufferPointer(mayHoldLink)
    }

    private static func mayHoldLink(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b + 0x20 : b }
        for i in bytes.indices {
            switch bytes[i] {
            case UInt8(ascii: "@"): return true
            case UInt8(ascii: ":") where i + 2 < bytes.count && bytes[i + 1] == UInt8(ascii: "/") && bytes[i + 2] == UInt8(ascii: "/"): return true
            case UInt8(ascii: ":") where i >= 6:
                if bytes[(i - 6)..<i].map(lower) == Array("mailto".utf8) { return true }
            case UInt8(ascii: "w"), UInt8(ascii: "W"):
                if i + 3 < bytes.count, lower(bytes[i + 1]) == UInt8(ascii: "w"), lower(bytes[i + 2]) == UInt8(ascii: "w"), bytes[i + 3] == UInt8(ascii: ".") { return true }
            default: break
            }
        }
        return false
    }

    static func escapeProse(_ s: String) -> String {
        if s.utf8AllSatisfy({ isPrintableASCII($0) && !proseSpecial($0) }) { return s }
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            // `$` too: GitHub renders `$…$` as math.
            case "\\", "`", "*", "_", "[", "]", "|", "~", "#", "!", "$": out += "\\" + String(scalar)
            default:
                if needsEscape(scalar) {
                    out += "&#x\(String(scalar.value, radix: 16, uppercase: true));"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// `s` with every `|` written `\\|` (a table cell ends at a bare one, even in a code span).
    static func escapingPipes(_ s: String) -> String {
        guard s.utf8.contains(UInt8(ascii: "|")) else { return s }
        // On bytes, as the table parser reads them: a `|` followed by a combining mark
        // (one Character for Swift) still ends a cell.
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 8)
        for b in s.utf8 {
            if b == UInt8(ascii: "|") { out.append(UInt8(ascii: "\\")) }
            out.append(b)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The ASCII characters `escapeProse` changes.
    @inline(__always)
    static func proseSpecial(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"), UInt8(ascii: "\\"), UInt8(ascii: "`"), UInt8(ascii: "*"), UInt8(ascii: "_"),
             UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "|"), UInt8(ascii: "~"), UInt8(ascii: "#"), UInt8(ascii: "!"), UInt8(ascii: "$"): true
        default: false
        }
    }

    /// A Markdown code span holding `s` exactly: the fence is one backtick longer than
    /// the longest run inside, padded when `s` starts or ends with a backtick. Nothing
    /// inside a code span is Markdown or HTML.
    public static func markdownCode(_ s: String) -> String {
        let flat = s.utf8AllSatisfy(isPrintableASCII) ? s : s.unicodeScalars.map { scalar -> String in
            switch scalar {
            case "\n", "\r", "\t", "\u{2028}", "\u{2029}": " "
            default: needsEscape(scalar) ? "\u{FFFD}" : String(scalar)
            }
        }.joined()
        // On bytes, as CommonMark counts them: a backtick is a backtick even when a
        // combining mark follows it (one Character for Swift, two code points for Markdown).
        var longest = 0, run = 0
        for b in flat.utf8 { if b == UInt8(ascii: "`") { run += 1; longest = max(longest, run) } else { run = 0 } }
        let bytes = flat.utf8
        let edge = bytes.first == UInt8(ascii: "`") || bytes.last == UInt8(ascii: "`")
        let spaced = bytes.first == UInt8(ascii: " ") && bytes.last == UInt8(ascii: " ") && !bytes.allSatisfy { $0 == UInt8(ascii: " ") }
        let pad = edge || spaced ? " " : ""
        let fence = String(repeating: "`", count: longest + 1)
        return fence + pad + flat + pad + fence
    }
}
