import KeywayModel

/// A template that does not parse: where, and what to do.
struct TemplateError: Error {
    /// A Character offset into the template's text.
    var offset: Int
    var message: String

    /// The 1-based line and column (in Unicode scalars, as every keyway position) of
    /// `offset` in `text`.
    func position(in text: String) -> (line: Int, column: Int) {
        var line = 1, column = 1, i = 0
        for character in text {
            if i == offset { break }
            if character.isNewline { line += 1; column = 1 } else { column += character.unicodeScalars.count }
            i += 1
        }
        return (line, column)
    }
}

/// A Mustache template, parsed once, rendered any number of times: keyway's one template
/// engine. It reads the Mustache its templates and overrides use — text, `{{name}}`
/// (HTML-escaped unless `{{% CONTENT_TYPE: TEXT}}` is set), `{{{name}}}`, `{{&name}}`, dotted
/// names, `{{.}}`, sections, inverted sections, comments, the content-type pragma, and the
/// list-position functions `first()`, `last()`, `index()`, `even()`, `odd()` — with the
/// standalone-line rules and context lookups of the Mustache specification as
/// swift-mustache implements them (the tests hold the two to the same bytes). Anything
/// else (partials, blocks, changed delimiters, other functions) is an error at its
/// position, as is a template whose sections nest deeper than `maximumDepth`.
struct Template: Sendable {
    enum Position: String, Sendable { case first, last, index, even, odd }

    /// Where a tag's value comes from.
    enum Path: Sendable {
        /// The innermost value (`.`, or an empty name).
        case top
        /// A list-position function of the innermost list section (`last()`).
        case position(Position)
        /// Names looked up from the innermost value only (`.a.b`).
        case fromTop([String])
        /// The first name looked up from the innermost value outwards, the rest inside it.
        case stack([String])

        var names: [String] {
            switch self {
            case .top, .position: []
            case .fromTop(let names), .stack(let names): names
            }
        }
    }

    indirect enum Node: Sendable {
        case text(String)
        /// `offset`: where the tag starts, for diagnostics.
        case variable(Path, escaped: Bool, offset: Int)
        case section(Path, [Node], offset: Int)
        case inverted(Path, [Node], offset: Int)
        /// `{{% CONTENT_TYPE: TEXT}}` (true) or `HTML` (false), from here to the end of its block.
        case contentType(text: Bool)
    }

    /// Sections nest at most this deep: deeper is an error at the section, so that neither
    /// parsing nor rendering recurses without bound.
    static let maximumDepth = 64

    let nodes: [Node]

    init(_ text: String) throws(TemplateError) {
        var parser = Parser(Array(text))
        nodes = try parser.parse(section: nil, newLine: true, depth: 0)
    }

    /// Every name a tag uses, with the tag's offset: what its view must have.
    var uses: [(name: String, offset: Int)] {
        var uses: [(name: String, offset: Int)] = []
        var stack = nodes
        while let node = stack.popLast() {
            switch node {
            case .variable(let path, _, let offset): uses += path.names.map { ($0, offset) }
            case .section(let path, let body, let offset), .inverted(let path, let body, let offset):
                uses += path.names.map { ($0, offset) }
                stack += body
            case .text, .contentType: break
            }
        }
        return uses.sorted { $0.offset < $1.offset }
    }

    // MARK: Rendering

    /// Where a list section is, for the position functions.
    private struct ListPosition {
        var index: Int
        var count: Int
    }

    func render(_ value: TemplateValue) -> String {
        // Bytes, made a String once: appending bytes is a copy, appending Strings is not.
        var out: [UInt8] = []
        out.reserveCapacity(8192)
        var stack: [TemplateValue] = [value]
        Self.render(nodes, &out, &stack, list: nil, text: false)
        return String(decoding: out, as: UTF8.self)
    }

    private static func render(_ nodes: [Node], _ out: inout [UInt8], _ stack: inout [TemplateValue], list: ListPosition?, text: Bool) {
        var text = text
        for node in nodes {
            switch node {
            case .text(let s):
                out.appendUTF8(s)
            case .variable(let path, let escaped, _):
                guard let value = lookup(path, stack, list) else { continue }
                let rendered: String
                switch value {
                case .string(let s): rendered = s
                case .bool(let b): rendered = b ? "true" : "false"
                case .int(let i): rendered = String(i)
                case .list, .object: rendered = ""
                }
                if escaped && !text { appendHTMLEscaped(rendered, to: &out) } else { out.appendUTF8(rendered) }
            case .section(let path, let body, _):
                guard let value = lookup(path, stack, list) else { continue }
                switch value {
                case .bool(let b):
                    if b { render(body, &out, &stack, list: list, text: text) }
                case .list(let items):
                    for (index, item) in items.enumerated() {
                        stack.append(item)
                        render(body, &out, &stack, list: ListPosition(index: index, count: items.count), text: text)
                        stack.removeLast()
                    }
                default:
                    stack.append(value)
                    render(body, &out, &stack, list: nil, text: text)
                    stack.removeLast()
                }
            case .inverted(let path, let body, _):
                guard let value = lookup(path, stack, list) else {
                    render(body, &out, &stack, list: list, text: text)
                    continue
                }
                switch value {
                case .bool(let b):
                    if !b { render(body, &out, &stack, list: list, text: text) }
                case .list(let items):
                    if items.isEmpty {
                        stack.append(value)
                        render(body, &out, &stack, list: nil, text: text)
                        stack.removeLast()
                    }
                default:
                    break
                }
            case .contentType(let isText):
                text = isText
            }
        }
    }

    private static func lookup(_ path: Path, _ stack: [TemplateValue], _ list: ListPosition?) -> TemplateValue? {
        switch path {
        case .top:
            return stack.last
        case .position(let position):
            guard let list else { return nil }
            switch position {
            case .first: return .bool(list.index == 0)
            case .last: return .bool(list.index == list.count - 1)
            case .index: return .int(list.index)
            case .even: return .bool(list.index & 1 == 0)
            case .odd: return .bool(list.index & 1 == 1)
            }
        case .fromTop(let names):
            return descend(stack.last!, names[...])
        case .stack(let names):
            var i = stack.count - 1
            while i >= 0 {
                if let found = stack[i].member(names[0]) { return descend(found, names.dropFirst()) }
                i -= 1
            }
            return nil
        }
    }

    private static func descend(_ value: TemplateValue, _ names: ArraySlice<String>) -> TemplateValue? {
        var value = value
        for name in names {
            guard let next = value.member(name) else { return nil }
            value = next
        }
        return value
    }

    /// HTML escaping of `{{name}}`: `<`, `>`, `&`, `"` and `'`, compared as characters.
    private static func appendHTMLEscaped(_ s: String, to out: inout [UInt8]) {
        if !s.utf8.contains(where: { $0 == 0x3C || $0 == 0x3E || $0 == 0x26 || $0 == 0x22 || $0 == 0x27 }) {
            out.appendUTF8(s)
            return
        }
        for c in s {
            switch c {
            case "<": out.append(contentsOf: "&lt;".utf8)
            case ">": out.append(contentsOf: "&gt;".utf8)
            case "&": out.append(contentsOf: "&amp;".utf8)
            case "\"": out.append(contentsOf: "&quot;".utf8)
            case "'": out.append(contentsOf: "&#39;".utf8)
            default: out.append(contentsOf: c.utf8)
            }
        }
    }

    // MARK: Parsing

    private static let nameCharacters = Set<Character>("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-_?()*")
    private static let bareNameCharacters = Set<Character>("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-_?*")

    /// Reads a template by Characters: a tag alone on its line (a section, its end, a
    /// comment, the pragma) takes the line's indentation and line break with it; the state
    /// after a section is that of the line its opening tag was on.
    private struct Parser {
        let c: [Character]
        var p = 0

        init(_ characters: [Character]) { c = characters }

        var atEnd: Bool { p == c.count }
        var current: Character { p < c.count ? c[p] : "\0" }

        func fail(_ offset: Int, _ message: String) -> TemplateError { TemplateError(offset: offset, message: message) }

        mutating func parse(section: (name: String, transforms: [String], offset: Int)?, newLine startsOnNewLine: Bool, depth: Int) throws(TemplateError) -> [Node] {
            var nodes: [Node] = []
            var newLine = startsOnNewLine
            var indent = ""
            while !atEnd {
                if newLine {
                    let start = p
                    while p < c.count, c[p] == " " || c[p] == "\t" { p += 1 }
                    indent = String(c[start..<p])
                }
                let text = readText()
                if current.isNewline {
                    nodes.append(.text(indent + text + String(current)))
                    newLine = true
                    p += 1
                    continue
                }
                if !text.isEmpty {
                    nodes.append(.text(indent + text))
                    indent = ""
                    newLine = false
                }
                if atEnd { break }
                // readText stopped after a tag's `{{`.
                let tag = p - 2
                var setNewLine = false
                switch current {
                case "#", "^":
                    let inverted = current == "^"
                    p += 1
                    let (name, transforms) = try readName(tag)
                    guard depth < Template.maximumDepth else {
                        throw fail(tag, "sections nest deeper than \(Template.maximumDepth) levels here; flatten the template")
                    }
                    if standalone(newLine) {
                        setNewLine = true
                    } else if !indent.isEmpty {
                        nodes.append(.text(indent))
                        indent = ""
                    }
                    let path = try Self.path(name, transforms, tag)
                    let body = try parse(section: (name, transforms, tag), newLine: setNewLine, depth: depth + 1)
                    nodes.append(inverted ? .inverted(path, body, offset: tag) : .section(path, body, offset: tag))
                case "/":
                    p += 1
                    let (name, transforms) = try readName(tag)
                    guard let section else { throw fail(tag, "'{{/\(name.forDiagnostic)}}' closes no open section; remove it") }
                    guard section.name == name, section.transforms == transforms else {
                        throw fail(tag, "'{{/\(name.forDiagnostic)}}' does not close the open section '\(section.name.forDiagnostic)'; close sections in the reverse order of opening")
                    }
                    if !standalone(newLine), !indent.isEmpty { nodes.append(.text(indent)) }
                    return nodes
                case "!":
                    p += 1
                    guard let end = endOfTag(from: p) else { throw fail(tag, "this comment is never closed; end it with '}}'") }
                    p = end
                    setNewLine = standalone(newLine)
                case "{", "&":
                    let triple = current == "{"
                    if !indent.isEmpty {
                        nodes.append(.text(indent))
                        indent = ""
                    }
                    p += 1
                    let (name, transforms) = try readName(tag)
                    if triple {
                        guard current == "}" else { throw fail(tag, "'{{{' must be closed by '}}}'") }
                        p += 1
                    }
                    nodes.append(.variable(try Self.path(name, transforms, tag), escaped: false, offset: tag))
                case "%":
                    p += 1
                    nodes.append(.contentType(text: try readContentType(tag)))
                    setNewLine = standalone(newLine)
                case ">", "<", "$", "=":
                    throw fail(tag, "partials ('{{>'), blocks ('{{$', '{{<') and delimiter changes ('{{=') are not part of keyway's templates; write the text out instead")
                default:
                    if !indent.isEmpty {
                        nodes.append(.text(indent))
                        indent = ""
                    }
                    let (name, transforms) = try readName(tag)
                    nodes.append(.variable(try Self.path(name, transforms, tag), escaped: true, offset: tag))
                }
                newLine = setNewLine
            }
            if let section {
                throw fail(section.offset, "section '\(section.name.forDiagnostic)' is never closed; add {{/\(section.name.forDiagnostic)}}")
            }
            return nodes
        }

        /// Text up to the next `{{` (consumed) or line break (not consumed).
        mutating func readText() -> String {
            var text = ""
            while !atEnd {
                let start = p
                while p < c.count, c[p] != "\n", c[p] != "\r\n", c[p] != "{" { p += 1 }
                text += String(c[start..<p])
                if atEnd || current != "{" { break }
                // A `{`: a tag when another follows, else text.
                if p + 1 < c.count, c[p + 1] == "{" {
                    p += 2
                    break
                }
                text.append("{")
                p += 1
            }
            return text
        }

        /// A tag's name up to and including `}}`: a plain name, or a list-position function.
        mutating func readName(_ tag: Int) throws(TemplateError) -> (String, [String]) {
            while p < c.count, c[p].isWhitespace { p += 1 }
            let start = p
            while p < c.count, Template.nameCharacters.contains(c[p]) { p += 1 }
            let name = String(c[start..<p])
            while p < c.count, c[p].isWhitespace { p += 1 }
            guard p + 2 <= c.count, c[p] == "}", c[p + 1] == "}" else {
                throw fail(tag, endOfTag(from: start) == nil
                    ? "this tag is never closed; end it with '}}'"
                    : "a tag names a value by letters, digits and '.', '-', '_' (or is first(), last(), index(), even(), odd()); fix this one")
            }
            p += 2
            guard name.contains("(") || name.contains(")") else { return (name, []) }
            // `last()` is the name "" with the function `last`; other forms are not read here.
            guard name.hasSuffix("()"), name.dropLast(2).allSatisfy(Template.bareNameCharacters.contains), name.count > 2 else {
                throw fail(tag, "'\(name.forDiagnostic)' is not a function keyway's templates have; use first(), last(), index(), even() or odd()")
            }
            return ("", [String(name.dropLast(2))])
        }

        /// Past the next `}}` from `start`, or nil.
        func endOfTag(from start: Int) -> Int? {
            var i = start
            while i + 1 < c.count {
                if c[i] == "}" && c[i + 1] == "}" { return i + 2 }
                i += 1
            }
            return nil
        }

        mutating func readContentType(_ tag: Int) throws(TemplateError) -> Bool {
            func skipSpace() { while p < c.count, c[p].isWhitespace { p += 1 } }
            func word() -> String {
                let start = p
                while p < c.count, Template.bareNameCharacters.contains(c[p]) { p += 1 }
                return String(c[start..<p])
            }
            skipSpace()
            let variable = word()
            skipSpace()
            var value = ""
            if current == ":" {
                p += 1
                skipSpace()
                value = word()
                skipSpace()
            }
            guard p + 2 <= c.count, c[p] == "}", c[p + 1] == "}", variable == "CONTENT_TYPE", value == "TEXT" || value == "HTML" else {
                throw fail(tag, "the one pragma of keyway's templates is {{% CONTENT_TYPE: TEXT}} (or HTML); fix or remove this one")
            }
            p += 2
            return value == "TEXT"
        }

        /// Whether the tag just read is alone on its line; if so, the rest of the line
        /// (spaces, tabs, the line break) is consumed.
        mutating func standalone(_ newLine: Bool) -> Bool {
            guard newLine else { return false }
            if atEnd { return true }
            var q = p
            while q < c.count, c[q] == " " || c[q] == "\t" { q += 1 }
            guard q < c.count, c[q].isNewline else { return false }
            p = q + 1
            return true
        }

        static func path(_ name: String, _ transforms: [String], _ tag: Int) throws(TemplateError) -> Path {
            if let function = transforms.first {
                guard transforms.count == 1, name.isEmpty, let position = Position(rawValue: function) else {
                    throw TemplateError(offset: tag, message: "'\(function.forDiagnostic)()' is not a function keyway's templates have; use first(), last(), index(), even() or odd()")
                }
                return .position(position)
            }
            if name == "." { return .top }
            let names = name.split(separator: ".").map(String.init)
            if name.first == "." { return names.isEmpty ? .top : .fromTop(names) }
            return names.isEmpty ? .top : .stack(names)
        }
    }
}
