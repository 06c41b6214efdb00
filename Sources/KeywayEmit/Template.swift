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

    /// The parsed nodes as the renderer reads them.
    private let program: Program

    init(_ text: String) throws(TemplateError) {
        var parser = Parser(Array(text))
        program = Program(try parser.parse(section: nil, newLine: true, depth: 0))
    }

    /// The nodes flattened into one array of plain values — a section's body follows it,
    /// its text in one byte buffer, its names in one array — so that rendering (by every
    /// core, from the one template) reads them in place and counts no references.
    private struct Program: Sendable {
        enum Kind: UInt8, Sendable { case text, variable, section, inverted, contentType }

        /// text: bytes `a..<a+b`; variable: path `a`, `flag` escaped; section, inverted:
        /// path `a`, the body up to op `b`; contentType: `flag` text. `offset`: where a
        /// tag starts in the template's text, for diagnostics.
        struct Op: Sendable {
            var kind: Kind
            var flag: Bool
            var a: Int
            var b: Int
            var offset = 0
        }

        /// A `Path` whose names are `names[start..<end]`.
        struct Route: Sendable {
            enum Kind: UInt8, Sendable { case top, position, fromTop, stack }
            var kind: Kind
            var position: Position
            var start: Int
            var end: Int
        }

        var ops: [Op] = []
        var text: [UInt8] = []
        var routes: [Route] = []
        var names: [Name] = []

        /// A name of a path, with its UTF-8 length where that decides a mismatch (see
        /// `String.equalsOnlyItsOwnBytes`), -1 where only `==` can tell.
        struct Name: Sendable {
            var text: String
            var length: Int
            init(_ text: String) {
                self.text = text
                length = text.equalsOnlyItsOwnBytes ? text.utf8.count : -1
            }
        }

        init(_ nodes: [Node]) { add(nodes) }

        private mutating func add(_ nodes: [Node]) {
            for node in nodes {
                switch node {
                case .text(let s):
                    ops.append(Op(kind: .text, flag: false, a: text.count, b: s.utf8.count))
                    text.appendUTF8(s)
                case .variable(let path, let escaped, let offset):
                    ops.append(Op(kind: .variable, flag: escaped, a: route(path), b: 0, offset: offset))
                case .section(let path, let body, let offset), .inverted(let path, let body, let offset):
                    let at = ops.count
                    var inverted = false
                    if case .inverted = node { inverted = true }
                    ops.append(Op(kind: inverted ? .inverted : .section, flag: false, a: route(path), b: 0, offset: offset))
                    add(body)
                    ops[at].b = ops.count
                case .contentType(let isText):
                    ops.append(Op(kind: .contentType, flag: isText, a: 0, b: 0))
                }
            }
        }

        private mutating func route(_ path: Path) -> Int {
            let start = names.count
            var kind = Route.Kind.top, position = Position.first
            switch path {
            case .top: break
            case .position(let p): (kind, position) = (.position, p)
            case .fromTop(let n): kind = .fromTop; names += n.map(Name.init)
            case .stack(let n): kind = .stack; names += n.map(Name.init)
            }
            routes.append(Route(kind: kind, position: position, start: start, end: names.count))
            return routes.count - 1
        }
    }

    /// Every name a tag uses, with the tag's offset: what its view must have.
    var uses: [(name: String, offset: Int)] {
        program.ops.filter { $0.kind == .variable || $0.kind == .section || $0.kind == .inverted }.flatMap { op in
            let route = program.routes[op.a]
            return program.names[route.start..<route.end].map { ($0.text, op.offset) }
        }
    }

    // MARK: Rendering

    /// Where a list section is, for the position functions.
    private struct ListPosition {
        var index: Int
        var count: Int
    }

    /// `render(TemplateData(tree))`.
    func render(_ tree: TemplateValue) -> String { render(TemplateData(tree)) }

    func render(_ data: TemplateData) -> String {
        // Bytes, made a String once: appending bytes is a copy, appending Strings is not.
        var out: [UInt8] = []
        out.reserveCapacity(8192)
        program.ops.withUnsafeBufferPointer { ops in
        program.text.withUnsafeBufferPointer { text in
        program.routes.withUnsafeBufferPointer { routes in
        program.names.withUnsafeBufferPointer { names in
        data.slots.withUnsafeBufferPointer { slots in
        data.children.withUnsafeBufferPointer { children in
        data.bytes.withUnsafeBufferPointer { bytes in
            var rendering = Rendering(ops: ops, text: text, routes: routes, names: names,
                                      slots: slots, children: children, bytes: bytes, stack: [.slot(data.root)])
            rendering.render(0..<ops.count, &out, list: nil, text: false)
        }}}}}}}
        return String(decoding: out, as: UTF8.self)
    }

    /// What a tag finds: a value of the data, or a list-position function's answer.
    private enum Found {
        case slot(Int)
        case bool(Bool)
        case int(Int)
    }

    /// One render: the program and the data, read in place, and the stack of values the
    /// sections opened.
    private struct Rendering {
        let ops: UnsafeBufferPointer<Program.Op>
        let text: UnsafeBufferPointer<UInt8>
        let routes: UnsafeBufferPointer<Program.Route>
        let names: UnsafeBufferPointer<Program.Name>
        let slots: UnsafeBufferPointer<TemplateData.Slot>
        let children: UnsafeBufferPointer<TemplateData.Child>
        let bytes: UnsafeBufferPointer<UInt8>
        var stack: [Found]

        mutating func render(_ range: Range<Int>, _ out: inout [UInt8], list: ListPosition?, text isText: Bool) {
            var isText = isText
            var i = range.lowerBound
            while i < range.upperBound {
                let op = ops[i]
                i += 1
                switch op.kind {
                case .text:
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: text[op.a..<(op.a + op.b)]))
                case .variable:
                    guard let found = lookup(op.a, list) else { continue }
                    switch found {
                    case .bool(let b): out.appendUTF8(b ? "true" : "false")
                    case .int(let n): out.appendUTF8(String(n))
                    case .slot(let index):
                        let slot = slots[index]
                        switch slot.kind {
                        case .string:
                            let value = UnsafeBufferPointer(rebasing: bytes[slot.a..<(slot.a + slot.b)])
                            if op.flag && !isText { Template.appendHTMLEscaped(value, to: &out) } else { out.append(contentsOf: value) }
                        case .bool: out.appendUTF8(slot.a != 0 ? "true" : "false")
                        case .int: out.appendUTF8(String(slot.a))
                        case .list, .object: break
                        }
                    }
                case .section:
                    let body = i..<op.b
                    i = op.b
                    guard let found = lookup(op.a, list) else { continue }
                    switch shape(of: found) {
                    case .bool(let b):
                        if b { render(body, &out, list: list, text: isText) }
                    case .list(let items):
                        for (position, child) in items.enumerated() {
                            stack.append(.slot(children[child].slot))
                            render(body, &out, list: ListPosition(index: position, count: items.count), text: isText)
                            stack.removeLast()
                        }
                    case .other:
                        stack.append(found)
                        render(body, &out, list: nil, text: isText)
                        stack.removeLast()
                    }
                case .inverted:
                    let body = i..<op.b
                    i = op.b
                    guard let found = lookup(op.a, list) else {
                        render(body, &out, list: list, text: isText)
                        continue
                    }
                    switch shape(of: found) {
                    case .bool(let b):
                        if !b { render(body, &out, list: list, text: isText) }
                    case .list(let items):
                        if items.isEmpty {
                            stack.append(found)
                            render(body, &out, list: nil, text: isText)
                            stack.removeLast()
                        }
                    case .other: break
                    }
                case .contentType:
                    isText = op.flag
                }
            }
        }

        /// What a section does with a value: a boolean decides, a list repeats (its items
        /// are these children), anything else is pushed.
        enum Shape {
            case bool(Bool)
            case list(Range<Int>)
            case other
        }

        func shape(of found: Found) -> Shape {
            switch found {
            case .bool(let b): return .bool(b)
            case .int: return .other
            case .slot(let index):
                let slot = slots[index]
                switch slot.kind {
                case .bool: return .bool(slot.a != 0)
                case .list: return .list(slot.a..<(slot.a + slot.b))
                case .string, .int, .object: return .other
                }
            }
        }

        func lookup(_ index: Int, _ list: ListPosition?) -> Found? {
            let route = routes[index]
            switch route.kind {
            case .top:
                return stack.last
            case .position:
                guard let list else { return nil }
                switch route.position {
                case .first: return .bool(list.index == 0)
                case .last: return .bool(list.index == list.count - 1)
                case .index: return .int(list.index)
                case .even: return .bool(list.index & 1 == 0)
                case .odd: return .bool(list.index & 1 == 1)
                }
            case .fromTop:
                return descend(stack.last!, route.start, route.end)
            case .stack:
                var i = stack.count - 1
                while i >= 0 {
                    if let found = member(stack[i], route.start) { return descend(found, route.start + 1, route.end) }
                    i -= 1
                }
                return nil
            }
        }

        func descend(_ value: Found, _ start: Int, _ end: Int) -> Found? {
            var value = value
            for name in start..<end {
                guard let next = member(value, name) else { return nil }
                value = next
            }
            return value
        }

        /// The member named `names[name]` of an object (nil for any other value, as
        /// Mustache has it).
        func member(_ value: Found, _ name: Int) -> Found? {
            guard case .slot(let index) = value else { return nil }
            let slot = slots[index]
            guard slot.kind == .object else { return nil }
            let wanted = names[name]
            for child in slot.a..<(slot.a + slot.b) where (wanted.length < 0 || children[child].key.utf8.count == wanted.length) && children[child].key == wanted.text {
                return .slot(children[child].slot)
            }
            return nil
        }
    }

    /// HTML escaping of `{{name}}`: `<`, `>`, `&`, `"` and `'`, compared as characters.
    fileprivate static func appendHTMLEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        if !bytes.contains(where: { $0 == 0x3C || $0 == 0x3E || $0 == 0x26 || $0 == 0x22 || $0 == 0x27 }) {
            out.append(contentsOf: bytes)
            return
        }
        for c in String(decoding: bytes, as: UTF8.self) {
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
