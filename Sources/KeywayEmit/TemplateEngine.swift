/// A view as templates see it: strings, booleans, integers, lists and objects (name →
/// value, in declaration order; an absent optional is simply not there). Every emitter
/// view converts itself to one (`TemplateViewValue`), once, without reflection.
enum TemplateValue: Sendable {
    case string(String)
    case bool(Bool)
    case int(Int)
    case list([TemplateValue])
    case object([(String, TemplateValue)])

    /// The member `name` of an object (nil for any other value, as Mustache has it).
    @inline(__always)
    func member(_ name: String) -> TemplateValue? {
        guard case .object(let pairs) = self else { return nil }
        for (key, value) in pairs where key == name { return value }
        return nil
    }

    /// The value as swift-mustache's reflection-free input: dictionaries, arrays, and the
    /// scalars themselves (what `TemplateSet` rendered from before it had its own renderer).
    var any: Any {
        switch self {
        case .string(let s): s
        case .bool(let b): b
        case .int(let i): i
        case .list(let items): items.map { $0.any } as [Any]
        case .object(let pairs): Dictionary(pairs.map { ($0.0, $0.1.any) }, uniquingKeysWith: { a, _ in a }) as [String: Any]
        }
    }
}

/// A type whose values templates render.
protocol TemplateViewValue {
    var templateValue: TemplateValue { get }
}

extension String: TemplateViewValue { var templateValue: TemplateValue { .string(self) } }
extension Bool: TemplateViewValue { var templateValue: TemplateValue { .bool(self) } }
extension Int: TemplateViewValue { var templateValue: TemplateValue { .int(self) } }
extension Array: TemplateViewValue where Element: TemplateViewValue {
    var templateValue: TemplateValue { .list(map { $0.templateValue }) }
}

extension TemplateValue {
    /// An object from its members; nil values (absent optionals) are left out.
    static func members(_ pairs: [(String, TemplateValue?)]) -> TemplateValue {
        .object(pairs.compactMap { name, value in value.map { (name, $0) } })
    }
}

/// keyway's own renderer for the Mustache templates, for speed: a template is parsed once
/// into a tree, and rendering walks it over `TemplateValue`s with no reflection, no dynamic
/// casts and one output buffer.
///
/// It renders exactly what swift-mustache renders (same parse, same standalone-line
/// rules, same lookups up the context stack, same HTML escaping of `{{name}}` unless the
/// template sets `{{% CONTENT_TYPE: TEXT}}`), for the part of Mustache keyway's templates
/// use: text, `{{name}}`, `{{{name}}}`, `{{&name}}`, dotted names, `{{.}}`, sections,
/// inverted sections, comments, the content-type pragma, and the list-position functions
/// `first()`, `last()`, `index()`, `even()`, `odd()`. A template that uses anything else
/// (partials, blocks, changed delimiters, other functions) or does not parse gets no
/// compiled form: `TemplateSet` renders it with swift-mustache instead. The differential
/// tests hold the two renderers to the same bytes.
struct CompiledTemplate: Sendable {
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
    }

    indirect enum Node: Sendable {
        case text(String)
        case variable(Path, escaped: Bool)
        case section(Path, [Node])
        case inverted(Path, [Node])
        /// `{{% CONTENT_TYPE: TEXT}}` (true) or `HTML` (false), from here to the end of its block.
        case contentType(text: Bool)
    }

    let nodes: [Node]

    /// nil when the template does not parse or uses more than this renderer reads.
    init?(_ text: String) {
        var parser = Parser(Array(text))
        guard let nodes = try? parser.parse(section: nil, newLine: true) else { return nil }
        self.nodes = nodes
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
            case .variable(let path, let escaped):
                guard let value = lookup(path, stack, list) else { continue }
                let rendered: String
                switch value {
                case .string(let s): rendered = s
                case .bool(let b): rendered = b ? "true" : "false"
                case .int(let i): rendered = String(i)
                case .list, .object: rendered = String(describing: value.any)
                }
                if escaped && !text { appendHTMLEscaped(rendered, to: &out) } else { out.appendUTF8(rendered) }
            case .section(let path, let body):
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
            case .inverted(let path, let body):
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


    /// swift-mustache's HTML escaping: `<`, `>`, `&`, `"` and `'`, compared as characters.
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

    private struct Unsupported: Error {}

    private static let nameCharacters = Set<Character>("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-_?()*")
    private static let bareNameCharacters = Set<Character>("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-_?*")

    /// Reads a template by Characters, as swift-mustache does: a tag alone on its line (a
    /// section, its end, a comment, the pragma) takes the line's indentation and line break
    /// with it; the state after a section is that of the line its opening tag was on.
    private struct Parser {
        let c: [Character]
        var p = 0

        init(_ characters: [Character]) { c = characters }

        var atEnd: Bool { p == c.count }
        var current: Character { p < c.count ? c[p] : "\0" }

        mutating func parse(section: (name: String, transforms: [String])?, newLine startsOnNewLine: Bool) throws -> [Node] {
            var nodes: [Node] = []
            var newLine = startsOnNewLine
            var indent = ""
            while !atEnd {
                if newLine {
                    let start = p
                    while p < c.count, c[p] == " " || c[p] == "\t" { p += 1 }
                    indent = String(c[start..<p])
                }
                let text = try readText()
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
                var setNewLine = false
                switch current {
                case "#", "^":
                    let inverted = current == "^"
                    p += 1
                    let (name, transforms) = try readName()
                    if standalone(newLine) {
                        setNewLine = true
                    } else if !indent.isEmpty {
                        nodes.append(.text(indent))
                        indent = ""
                    }
                    let body = try parse(section: (name, transforms), newLine: setNewLine)
                    let path = try Self.path(name, transforms)
                    nodes.append(inverted ? .inverted(path, body) : .section(path, body))
                case "/":
                    p += 1
                    let (name, transforms) = try readName()
                    guard let section, section.name == name, section.transforms == transforms else { throw Unsupported() }
                    if !standalone(newLine), !indent.isEmpty { nodes.append(.text(indent)) }
                    return nodes
                case "!":
                    p += 1
                    guard let end = endOfTag(from: p) else { throw Unsupported() }
                    p = end
                    setNewLine = standalone(newLine)
                case "{", "&":
                    let triple = current == "{"
                    if !indent.isEmpty {
                        nodes.append(.text(indent))
                        indent = ""
                    }
                    p += 1
                    let (name, transforms) = try readName()
                    if triple {
                        guard current == "}" else { throw Unsupported() }
                        p += 1
                    }
                    nodes.append(.variable(try Self.path(name, transforms), escaped: false))
                case "%":
                    p += 1
                    nodes.append(.contentType(text: try readContentType()))
                    setNewLine = standalone(newLine)
                case ">", "<", "$", "=":
                    throw Unsupported()
                default:
                    if !indent.isEmpty {
                        nodes.append(.text(indent))
                        indent = ""
                    }
                    let (name, transforms) = try readName()
                    nodes.append(.variable(try Self.path(name, transforms), escaped: true))
                }
                newLine = setNewLine
            }
            guard section == nil else { throw Unsupported() }
            return nodes
        }

        /// Text up to the next `{{` (consumed) or line break (not consumed).
        mutating func readText() throws -> String {
            var text = ""
            while !atEnd {
                let start = p
                while p < c.count, c[p] != "\n", c[p] != "\r\n", c[p] != "{" { p += 1 }
                text += String(c[start..<p])
                if current.isNewline { break }
                if current == "{" {
                    guard p + 2 <= c.count else { throw Unsupported() }
                    if c[p + 1] == "{" {
                        p += 2
                        break
                    }
                    text.append("{")
                    p += 1
                }
            }
            return text
        }

        /// A tag's name up to and including `}}`: a plain name, or a list-position function.
        mutating func readName() throws -> (String, [String]) {
            while p < c.count, c[p].isWhitespace { p += 1 }
            let start = p
            while p < c.count, CompiledTemplate.nameCharacters.contains(c[p]) { p += 1 }
            let name = String(c[start..<p])
            while p < c.count, c[p].isWhitespace { p += 1 }
            guard p + 2 <= c.count, c[p] == "}", c[p + 1] == "}" else { throw Unsupported() }
            p += 2
            guard name.contains("(") || name.contains(")") else { return (name, []) }
            // `last()` is the name "" with the function `last`; other forms are not read here.
            guard name.hasSuffix("()"), name.dropLast(2).allSatisfy(CompiledTemplate.bareNameCharacters.contains), name.count > 2 else {
                throw Unsupported()
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

        mutating func readContentType() throws -> Bool {
            func skipSpace() { while p < c.count, c[p].isWhitespace { p += 1 } }
            func word() -> String {
                let start = p
                while p < c.count, CompiledTemplate.bareNameCharacters.contains(c[p]) { p += 1 }
                return String(c[start..<p])
            }
            skipSpace()
            let variable = word()
            skipSpace()
            guard current == ":" else { throw Unsupported() }
            p += 1
            skipSpace()
            let value = word()
            skipSpace()
            guard p + 2 <= c.count, c[p] == "}", c[p + 1] == "}" else { throw Unsupported() }
            p += 2
            guard variable == "CONTENT_TYPE" else { throw Unsupported() }
            switch value {
            case "TEXT": return true
            case "HTML": return false
            default: throw Unsupported()
            }
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

        static func path(_ name: String, _ transforms: [String]) throws -> Path {
            if let function = transforms.first {
                guard transforms.count == 1, name.isEmpty, let position = Position(rawValue: function) else { throw Unsupported() }
                return .position(position)
            }
            if name == "." { return .top }
            let names = name.split(separator: ".").map(String.init)
            if name.first == "." { return names.isEmpty ? .top : .fromTop(names) }
            return names.isEmpty ? .top : .stack(names)
        }
    }
}
