/// What a model should read of a description written for a web page: providers' documents
/// hold HTML (Stripe: `<p>Returns a list of <strong>customers</strong>.</p>`) and Markdown
/// (`[link](https://…)`, `**bold**`, `` `code` ``). Tags go (a block tag ends a line),
/// entities become their characters, links keep their text, emphasis and code marks go,
/// runs of spaces become one. One pass, with a bounded look-ahead for links.
enum PlainText {
    static let blockTags: Set<String> = ["p", "br", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "pre", "blockquote", "hr"]
    static let entities: [String: Character] = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ", "mdash": "—", "ndash": "–", "hellip": "…", "rsquo": "’", "lsquo": "‘", "rdquo": "”", "ldquo": "“"]

    static func of(_ text: String) -> String {
        let chars = Array(text)
        var out = ""
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "<", i + 1 < chars.count, chars[i + 1].isLetter || chars[i + 1] == "/" || chars[i + 1] == "!",
               let close = chars[i..<min(chars.count, i + 512)].firstIndex(of: ">") {
                let inside = String(chars[(i + 1)..<close]).lowercased()
                let name = inside.drop { $0 == "/" }.prefix { $0.isLetter || $0.isNumber }
                out.append(blockTags.contains(String(name)) ? "\n" : "")
                i = close + 1
                continue
            }
            if c == "&", let semicolon = chars[i..<min(chars.count, i + 12)].firstIndex(of: ";") {
                let name = String(chars[(i + 1)..<semicolon])
                if let known = entities[name] {
                    out.append(known)
                    i = semicolon + 1
                    continue
                }
                if name.hasPrefix("#"), let code = name.hasPrefix("#x") || name.hasPrefix("#X") ? UInt32(name.dropFirst(2), radix: 16) : UInt32(name.dropFirst()),
                   let scalar = Unicode.Scalar(code), scalar.value >= 0x20 {
                    out.unicodeScalars.append(scalar)
                    i = semicolon + 1
                    continue
                }
            }
            // [text](url) → text
            if c == "[", let end = chars[i..<min(chars.count, i + 300)].firstIndex(of: "]"), end + 1 < chars.count, chars[end + 1] == "(",
               let close = chars[(end + 1)..<min(chars.count, end + 1 + 500)].firstIndex(of: ")") {
                out.append(contentsOf: String(chars[(i + 1)..<end]))
                i = close + 1
                continue
            }
            if c == "`" || ((c == "*" || c == "_") && i + 1 < chars.count && chars[i + 1] == c) {
                i += c == "`" ? 1 : 2
                continue
            }
            out.append(c)
            i += 1
        }
        return out.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ") }
            .joined(separator: "\n")
    }
}
