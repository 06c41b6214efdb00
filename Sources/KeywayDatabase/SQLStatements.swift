import KeywayModel

/// Splits a PostgreSQL script into statements. PostgresNIO sends every query with the
/// extended protocol, which takes one statement at a time, so a migration file is sent
/// statement by statement. Quotes ('…', E'…', "…"), dollar quotes ($tag$…$tag$) and
/// comments (--, nested /* */) are respected; statements that are only comments are dropped.
public enum SQLStatements {
    /// One statement of a script: its text, the line its code starts on (1-based, after
    /// any leading comments), and that line's text from there, for messages.
    public struct Located: Equatable, Sendable {
        public var text: String
        public var line: Int
        public var firstLine: String
    }

    public static func split(_ sql: String) -> [String] { locate(sql).map(\.text) }

    public static func locate(_ sql: String) -> [Located] {
        let s = Array(sql.unicodeScalars)
        var statements: [Located] = []
        var current = String.UnicodeScalarView()
        var hasCode = false
        var i = 0
        // Where the current statement's code starts, and the line count up to `counted`.
        var codeStart = 0, counted = 0, line = 1
        func markCode() {
            if hasCode { return }
            hasCode = true
            codeStart = i
            while counted < i { if s[counted] == "\n" { line += 1 }; counted += 1 }
        }
        func finish(at end: Int) {
            var first = String.UnicodeScalarView()
            var k = codeStart
            while k < end && s[k] != "\n" { first.append(s[k]); k += 1 }
            statements.append(Located(text: String(current).trimmingCharacters(), line: line, firstLine: Self.excerpt(String(first))))
        }
        func take(_ n: Int) { for k in 0..<n where i + k < s.count { current.append(s[i + k]) }; i += n }
        while i < s.count {
            let c = s[i]
            let next: Unicode.Scalar? = i + 1 < s.count ? s[i + 1] : nil
            if c == "-" && next == "-" {
                while i < s.count && s[i] != "\n" { take(1) }
            } else if c == "/" && next == "*" {
                var depth = 0
                repeat {
                    if s[i] == "/" && i + 1 < s.count && s[i + 1] == "*" { depth += 1; take(2) }
                    else if s[i] == "*" && i + 1 < s.count && s[i + 1] == "/" { depth -= 1; take(2) }
                    else { take(1) }
                } while depth > 0 && i < s.count
            } else if c == "'" {
                // E'…' strings honour backslash escapes.
                let escapes = i > 0 && (s[i - 1] == "E" || s[i - 1] == "e") && (i < 2 || !isIdentifier(s[i - 2]))
                markCode()
                take(1)
                while i < s.count {
                    if escapes && s[i] == "\\" { take(2); continue }
                    if s[i] == "'" {
                        if i + 1 < s.count && s[i + 1] == "'" { take(2); continue }
                        take(1)
                        break
                    }
                    take(1)
                }
            } else if c == "\"" {
                markCode()
                take(1)
                while i < s.count {
                    if s[i] == "\"" {
                        if i + 1 < s.count && s[i + 1] == "\"" { take(2); continue }
                        take(1)
                        break
                    }
                    take(1)
                }
            } else if c == "$", let tag = dollarTag(s, at: i) {
                markCode()
                take(tag.count)
                while i < s.count && !matches(s, at: i, tag) { take(1) }
                take(tag.count)
            } else if c == ";" {
                if hasCode { finish(at: i) }
                current = String.UnicodeScalarView()
                hasCode = false
                i += 1
            } else {
                if !c.properties.isWhitespace { markCode() }
                take(1)
            }
        }
        if hasCode { finish(at: s.count) }
        return statements
    }

    /// A line of SQL as a message quotes it: tabs as spaces, other control characters
    /// escaped, trailing blanks dropped, at most 120 characters (the last one '…' when cut).
    public static func excerpt(_ line: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in line.unicodeScalars {
            if scalar == "\t" {
                out.append(" ")
            } else if scalar == "\r" {
                continue
            } else if scalar.isInvisible {
                out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        let text = String(out).trimmingCharacters()
        return text.count <= 120 ? text : String(text.prefix(119)) + "…"
    }

    private static func isIdentifier(_ c: Unicode.Scalar) -> Bool {
        c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_"
    }

    /// `$tag$` or `$$` starting at `i` (not a positional parameter like `$1`).
    private static func dollarTag(_ s: [Unicode.Scalar], at i: Int) -> [Unicode.Scalar]? {
        if i > 0 && isIdentifier(s[i - 1]) { return nil }
        var j = i + 1
        while j < s.count && s[j] != "$" {
            guard isIdentifier(s[j]), !(j == i + 1 && ("0"..."9").contains(s[j])) else { return nil }
            j += 1
        }
        return j < s.count ? Array(s[i...j]) : nil
    }

    private static func matches(_ s: [Unicode.Scalar], at i: Int, _ tag: [Unicode.Scalar]) -> Bool {
        i + tag.count <= s.count && Array(s[i..<i + tag.count]) == tag
    }
}

extension String {
    func trimmingCharacters() -> String {
        var scalars = Substring(self).unicodeScalars[...]
        while let f = scalars.first, f.properties.isWhitespace { scalars = scalars.dropFirst() }
        while let l = scalars.last, l.properties.isWhitespace { scalars = scalars.dropLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}
