import CLibYAML
import KeywayModel

/// Limits that keep a hostile document bounded in time and memory.
public struct YAMLLimits: Sendable {
    /// Nodes in the document once every alias is expanded (a "billion laughs" file
    /// stops here, at the alias that crosses the line, in linear time).
    public var maxExpandedNodes: Int = 100_000
    /// Nodes that aliases add (each alias counts the nodes it repeats); nil: only
    /// `maxExpandedNodes` bounds them. A document that is mostly aliases stops here, long
    /// before the total limit, so the work stays proportional to the bytes read.
    public var maxAliasedNodes: Int?
    /// Nesting of lists and mappings.
    public var maxDepth: Int = 64
    /// Bytes (UTF-8) of one scalar, key or value; nil for no limit. A longer one is an error
    /// at its position, reported with the file's other errors.
    public var maxScalarBytes: Int?

    public init() {}
}

/// Composes libyaml's event stream into `YAMLNode`s. Yams' own composer is not used: it
/// hashes whole nodes to find duplicate keys (exponential on aliased keys) and reports
/// duplicates without the second occurrence's position.
struct YAMLComposer {
    private var parser = yaml_parser_t()
    private let file: String
    private let limits: YAMLLimits
    private let bytes: [UInt8]
    private var anchors: [String: (node: YAMLNode, size: Int)] = [:]
    private var expanded = 0
    private var aliased = 0
    /// Problems after which the rest of the document still means what it says (an
    /// unsupported tag, a duplicate key): reported together with the file's other errors.
    private var recoverable: [Failure] = []

    struct Failure: Error {
        var location: SourceLocation
        var message: String
    }

    private init(bytes: [UInt8], file: String, limits: YAMLLimits) {
        self.bytes = bytes
        self.file = file
        self.limits = limits
    }

    /// Parses the single document in `bytes` (valid UTF-8): the root (nil for an empty
    /// stream) and the recoverable problems met on the way. A problem that leaves the rest
    /// of the document unreadable (a syntax error, a limit) is thrown.
    static func compose(_ bytes: [UInt8], file: String, limits: YAMLLimits) throws(Failure) -> (root: YAMLNode?, problems: [Failure]) {
        var composer = YAMLComposer(bytes: bytes, file: file, limits: limits)
        yaml_parser_initialize(&composer.parser)
        defer { yaml_parser_delete(&composer.parser) }
        let result: Result<YAMLNode?, Failure> = bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(&composer.parser, buffer.baseAddress, buffer.count)
            yaml_parser_set_encoding(&composer.parser, YAML_UTF8_ENCODING)
            do throws(Failure) { return .success(try composer.composeStream()) } catch { return .failure(error) }
        }
        return (try result.get(), composer.recoverable)
    }

    private func location(ofByte offset: Int) -> SourceLocation {
        var line = 1, column = 1
        for byte in bytes.prefix(offset) {
            if byte == 0x0A { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
        }
        return SourceLocation(file: file, line: line, column: column)
    }

    private func location(_ mark: yaml_mark_t) -> SourceLocation {
        SourceLocation(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    /// The next event; the caller owns it and must `yaml_event_delete` it.
    private mutating func next() throws(Failure) -> yaml_event_t {
        var event = yaml_event_t()
        guard yaml_parser_parse(&parser, &event) == 1 else { throw syntaxError() }
        return event
    }

    /// The byte a mark points at (libyaml counts a mark's index and column in characters).
    private func byte(at mark: yaml_mark_t) -> UInt8? {
        var i = 0
        for _ in 0..<Int(mark.line) {
            guard let end = bytes[i...].firstIndex(of: 0x0A) else { return nil }
            i = end + 1
        }
        for _ in 0..<Int(mark.column) where i < bytes.count {
            i += 1
            while i < bytes.count, bytes[i] & 0xC0 == 0x80 { i += 1 }
        }
        return i < bytes.count ? bytes[i] : nil
    }

    private func syntaxError() -> Failure {
        let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
        if parser.error == YAML_READER_ERROR {
            // Reader errors give a byte offset, not a mark: find the line ourselves.
            return Failure(location: location(ofByte: Int(parser.problem_offset)),
                           message: "invalid character in YAML: \(problem); remove it, or write it as an escape inside double quotes")
        }
        var message = "YAML syntax error: \(problem)"
        // libyaml names a tab only where it breaks an indentation it is reading.
        if byte(at: parser.problem_mark) == UInt8(ascii: "\t"), !problem.contains("tab") {
            message += ": a tab, and YAML indents with spaces only"
        }
        if let context = parser.context.map({ String(cString: $0) }) {
            message += " (\(context) at line \(parser.context_mark.line + 1))"
        }
        // A key without its ':' is found missing only past its line: the key is the place.
        let simpleKey = parser.context.map { String(cString: $0) == "while scanning a simple key" } ?? false
        return Failure(location: location(simpleKey ? parser.context_mark : parser.problem_mark), message: message + "; fix the YAML at this position")
    }

    private mutating func composeStream() throws(Failure) -> YAMLNode? {
        var event = try next()
        defer { yaml_event_delete(&event) }
        guard event.type == YAML_STREAM_START_EVENT else { throw Failure(location: location(event.start_mark), message: "expected a YAML stream") }
        var documentStart = try next()
        defer { yaml_event_delete(&documentStart) }
        if documentStart.type == YAML_STREAM_END_EVENT { return nil }
        var rootEvent = try next()
        let root: YAMLNode
        do {
            defer { yaml_event_delete(&rootEvent) }
            root = try composeNode(&rootEvent, depth: 0).node
        }
        var documentEnd = try next()
        yaml_event_delete(&documentEnd)
        var streamEnd = try next()
        defer { yaml_event_delete(&streamEnd) }
        if streamEnd.type != YAML_STREAM_END_EVENT {
            throw Failure(location: location(streamEnd.start_mark),
                          message: "a manifest holds one YAML document; move the document after '---' into a file of its own")
        }
        return root
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?, length: Int? = nil) -> String? {
        guard let pointer else { return nil }
        let count = length ?? strlen(UnsafeRawPointer(pointer).assumingMemoryBound(to: CChar.self))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    /// Counts `size` more nodes (`alias`: the nodes an alias repeats).
    private mutating func account(_ size: Int, at location: SourceLocation, alias: Bool = false) throws(Failure) {
        expanded += size
        guard expanded > limits.maxExpandedNodes else { return }
        // Aliases advised against only when there are some: a long file of plain values
        // needs splitting.
        if alias || aliased > 0 {
            throw Failure(location: location, message: "the document expands to more than \(limits.maxExpandedNodes) nodes (aliases counted as many times as they are used); split the file, or write the values out instead of nesting aliases")
        }
        throw Failure(location: location, message: "the document has more than \(limits.maxExpandedNodes) nodes, keyway's limit for one file; split it")
    }

    private mutating func register(anchor: UnsafeMutablePointer<yaml_char_t>?, _ node: YAMLNode, size: Int) {
        if let name = Self.string(anchor) { anchors[name] = (node, size) }
    }

    /// A scalar over `maxScalarBytes` is reported (and kept: the file is at most 1 MiB).
    private mutating func checkLength(_ bytes: Int, at location: SourceLocation, key: Bool = false) {
        guard let limit = limits.maxScalarBytes, bytes > limit else { return }
        recoverable.append(Failure(location: location, message: key
            ? "this key is \(bytes) bytes long, more than keyway's limit of \(limit) bytes (\(limit / 1024) KiB) for one key or value; keys are field names: use a short one"
            : "this value is \(bytes) bytes long, more than keyway's limit of \(limit) bytes (\(limit / 1024) KiB) for one value; shorten it — a description is read by models and people, a few sentences say what they need"))
    }

    /// An unsupported tag is reported, and the node is read as if untagged.
    private mutating func checkTag(_ tag: UnsafeMutablePointer<yaml_char_t>?, at location: SourceLocation, allowString: Bool) {
        guard let tag = Self.string(tag) else { return }
        if allowString && tag == "tag:yaml.org,2002:str" { return }
        recoverable.append(Failure(location: location, message: "YAML tag '\(tag.forDiagnostic)' is not supported; remove the tag (quote the value if it must stay a string)"))
    }

    /// Composes the node that starts with `event` and returns it with its expanded size.
    private mutating func composeNode(_ event: inout yaml_event_t, depth: Int) throws(Failure) -> (node: YAMLNode, size: Int) {
        let here = location(event.start_mark)
        switch event.type {
        case YAML_ALIAS_EVENT:
            let name = Self.string(event.data.alias.anchor) ?? ""
            guard let target = anchors[name] else {
                throw Failure(location: here, message: "unknown alias '*\(name.forDiagnostic)'; define the anchor '&\(name.forDiagnostic)' before using it")
            }
            try account(target.size, at: here, alias: true)
            aliased += target.size
            if let limit = limits.maxAliasedNodes, aliased > limit {
                throw Failure(location: here, message: "the aliases up to here repeat more than \(limit) nodes; write the values out instead of nesting aliases")
            }
            return target

        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            checkTag(scalar.tag, at: here, allowString: true)
            checkLength(Int(scalar.length), at: here)
            // NUL is looked for in libyaml's buffer (memchr, where a search of the String's
            // UTF-8 goes byte by byte).
            var text = Self.string(scalar.value, length: Int(scalar.length)) ?? ""
            if let value = scalar.value, memchr(value, 0, Int(scalar.length)) != nil {
                // "\0" in a double-quoted string: no database text type can hold it. Reported,
                // and the value read without it, so that the file's other errors are too.
                recoverable.append(Failure(location: here, message: "NUL characters are not allowed in manifest values; remove the \\0 escape"))
                text.unicodeScalars.removeAll { $0 == "\0" }
            }
            let style: YAMLScalar.Style
            switch scalar.style {
            case YAML_PLAIN_SCALAR_STYLE: style = scalar.tag == nil ? .plain : .quoted
            case YAML_LITERAL_SCALAR_STYLE, YAML_FOLDED_SCALAR_STYLE: style = .block
            default: style = .quoted
            }
            let node = YAMLNode(.scalar(YAMLScalar(text: text, style: style)), at: here)
            try account(1, at: here)
            register(anchor: scalar.anchor, node, size: 1)
            return (node, 1)

        case YAML_SEQUENCE_START_EVENT:
            guard depth < limits.maxDepth else {
                throw Failure(location: here, message: "lists and mappings nest deeper than \(limits.maxDepth) levels; flatten the document")
            }
            checkTag(event.data.sequence_start.tag, at: here, allowString: false)
            let anchor = Self.string(event.data.sequence_start.anchor)
            try account(1, at: here)
            var items: [YAMLNode] = []
            var size = 1
            while true {
                var child = try next()
                defer { yaml_event_delete(&child) }
                if child.type == YAML_SEQUENCE_END_EVENT { break }
                let (node, childSize) = try composeNode(&child, depth: depth + 1)
                items.append(node)
                size += childSize
            }
            let node = YAMLNode(.sequence(items), at: here)
            if let anchor { anchors[anchor] = (node, size) }
            return (node, size)

        case YAML_MAPPING_START_EVENT:
            guard depth < limits.maxDepth else {
                throw Failure(location: here, message: "lists and mappings nest deeper than \(limits.maxDepth) levels; flatten the document")
            }
            checkTag(event.data.mapping_start.tag, at: here, allowString: false)
            let anchor = Self.string(event.data.mapping_start.anchor)
            try account(1, at: here)
            var pairs: [YAMLPair] = []
            // Keys already read: found by scanning `pairs` while the mapping is small (most
            // are), by a dictionary once it is not — linear either way.
            var seen: [String: SourceLocation]?
            var size = 1
            while true {
                var keyEvent = try next()
                defer { yaml_event_delete(&keyEvent) }
                if keyEvent.type == YAML_MAPPING_END_EVENT { break }
                let keyLocation = location(keyEvent.start_mark)
                guard keyEvent.type == YAML_SCALAR_EVENT else {
                    throw Failure(location: keyLocation, message: "a mapping key must be a plain string, not a list, mapping or alias")
                }
                checkLength(Int(keyEvent.data.scalar.length), at: keyLocation, key: true)
                let key = Self.string(keyEvent.data.scalar.value, length: Int(keyEvent.data.scalar.length)) ?? ""
                // A merge key or a second occurrence is reported and its value read (to
                // keep the position in the stream) but not kept.
                var dropped = false
                if key == "<<" && keyEvent.data.scalar.style == YAML_PLAIN_SCALAR_STYLE {
                    recoverable.append(Failure(location: keyLocation, message: "merge keys ('<<') are not supported; write the keys out"))
                    dropped = true
                } else if let first = seen.map({ $0[key] }) ?? pairs.index(ofKey: key).map({ pairs[$0].keyLocation }) {
                    recoverable.append(Failure(location: keyLocation, message: "duplicate key '\(key.forDiagnostic)' (first at line \(first.line)); a YAML parser may silently keep either one — remove one"))
                    dropped = true
                } else if seen != nil {
                    seen![key] = keyLocation
                } else if pairs.count >= 16 {
                    seen = Dictionary(pairs.map { ($0.key, $0.keyLocation) }, uniquingKeysWith: { first, _ in first })
                    seen![key] = keyLocation
                }
                try account(1, at: keyLocation)
                var valueEvent = try next()
                defer { yaml_event_delete(&valueEvent) }
                let (value, valueSize) = try composeNode(&valueEvent, depth: depth + 1)
                if dropped { continue }
                pairs.append(YAMLPair(key: key, keyLocation: keyLocation, value: value))
                size += 1 + valueSize
            }
            let node = YAMLNode(.mapping(pairs), at: here)
            if let anchor { anchors[anchor] = (node, size) }
            return (node, size)

        default:
            throw Failure(location: here, message: "unexpected YAML event")
        }
    }
}

/// A YAML document held in memory, read by the same bounded composer as the manifests
/// (for documents keyway reads that are not manifests: providers' OpenAPI documents).
public enum YAMLDocument {
    /// The root (nil for an empty document) and every problem: the first problem that
    /// stops reading (a syntax error, a limit) is the last diagnostic.
    public static func parse(_ bytes: [UInt8], file: String, limits: YAMLLimits) -> (root: YAMLNode?, diagnostics: [Diagnostic]) {
        do throws(YAMLComposer.Failure) {
            let (root, problems) = try YAMLComposer.compose(bytes, file: file, limits: limits)
            return (root, problems.map { .error($0.location, $0.message) })
        } catch {
            return (nil, [.error(error.location, error.message)])
        }
    }
}
