import Foundation

/// A `Decoder` over keyway's own YAML nodes, so that the YAML keyway reads besides
/// manifests (providers' OpenAPI documents, Nango's providers.yaml) is read by the same
/// bounded loader as manifests (one libyaml, aliases counted) and keep
/// their key order (OpenAPIKit's ordered dictionaries follow `allKeys`). Scalars resolve
/// by the YAML 1.2 core schema when a number, boolean or null is asked for; any scalar
/// reads as a string.
public struct YAMLNodeDecoder: Decoder {
    let node: YAMLNode
    public let codingPath: [any CodingKey]
    public var userInfo: [CodingUserInfoKey: Any] { [:] }

    public init(node: YAMLNode, codingPath: [any CodingKey] = []) {
        self.node = node
        self.codingPath = codingPath
    }

    public func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .mapping(let pairs) = node.value else { throw Self.mismatch(node, "a mapping", codingPath) }
        return KeyedDecodingContainer(Keyed<Key>(pairs: pairs, codingPath: codingPath))
    }

    public func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .sequence(let items) = node.value else { throw Self.mismatch(node, "a list", codingPath) }
        return Unkeyed(items: items, codingPath: codingPath)
    }

    public func singleValueContainer() throws -> any SingleValueDecodingContainer { Single(node: node, codingPath: codingPath) }

    // MARK: Scalars by the core schema

    static func scalar(_ node: YAMLNode) -> YAMLScalar? {
        if case .scalar(let s) = node.value { return s }
        return nil
    }

    static func bool(_ s: YAMLScalar) -> Bool? {
        guard s.style == .plain else { return nil }
        switch s.text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }

    static func integer(_ s: YAMLScalar) -> Int? {
        guard s.style == .plain else { return nil }
        var text = Substring(s.text)
        if text.hasPrefix("0x") { return Int(text.dropFirst(2), radix: 16) }
        if text.hasPrefix("0o") { return Int(text.dropFirst(2), radix: 8) }
        if text.hasPrefix("+") { text = text.dropFirst() }
        guard !text.isEmpty, text.drop(while: { $0 == "-" }).allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }

    static func double(_ s: YAMLScalar) -> Double? {
        guard s.style == .plain else { return nil }
        switch s.text {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        case ".nan", ".NaN", ".NAN": return .nan
        default: break
        }
        if let i = integer(s) { return Double(i) }
        let allowed = Set("0123456789+-.eE")
        guard s.text.contains(where: \.isNumber), s.text.allSatisfy({ allowed.contains($0) }) else { return nil }
        return Double(s.text)
    }

    static func mismatch(_ node: YAMLNode, _ expected: String, _ path: [any CodingKey]) -> DecodingError {
        .typeMismatch(Any.self, .init(codingPath: path, debugDescription: "expected \(expected), found \(node.kindName) at line \(node.location.line), column \(node.location.column)"))
    }

    struct Index: CodingKey {
        var intValue: Int?
        var stringValue: String { "\(intValue ?? 0)" }
        init(_ i: Int) { intValue = i }
        init?(stringValue: String) { nil }
        init?(intValue: Int) { self.intValue = intValue }
    }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let pairs: [YAMLPair]
        let codingPath: [any CodingKey]
        let byKey: [String: YAMLNode]

        init(pairs: [YAMLPair], codingPath: [any CodingKey]) {
            self.pairs = pairs
            self.codingPath = codingPath
            var byKey: [String: YAMLNode] = [:]
            for pair in pairs where byKey[pair.key] == nil { byKey[pair.key] = pair.value }
            self.byKey = byKey
        }

        var allKeys: [Key] { pairs.compactMap { Key(stringValue: $0.key) } }
        func contains(_ key: Key) -> Bool { byKey[key.stringValue] != nil }

        func node(_ key: Key) throws -> YAMLNode {
            guard let node = byKey[key.stringValue] else {
                throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no key '\(key.stringValue)'"))
            }
            return node
        }

        func decodeNil(forKey key: Key) throws -> Bool { try YAMLNodeDecoder.scalar(node(key))?.isNull ?? false }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            try YAMLNodeDecoder.decode(type, from: node(key), codingPath: codingPath + [key])
        }
        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            try YAMLNodeDecoder(node: node(key), codingPath: codingPath + [key]).container(keyedBy: type)
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            try YAMLNodeDecoder(node: node(key), codingPath: codingPath + [key]).unkeyedContainer()
        }
        func superDecoder() throws -> any Decoder {
            YAMLNodeDecoder(node: YAMLNode(.mapping(pairs), at: pairs.first?.keyLocation ?? .init(file: "", line: 1, column: 1)), codingPath: codingPath)
        }
        func superDecoder(forKey key: Key) throws -> any Decoder { YAMLNodeDecoder(node: try node(key), codingPath: codingPath + [key]) }
    }

    struct Unkeyed: UnkeyedDecodingContainer {
        let items: [YAMLNode]
        let codingPath: [any CodingKey]
        var currentIndex = 0
        var count: Int? { items.count }
        var isAtEnd: Bool { currentIndex >= items.count }

        init(items: [YAMLNode], codingPath: [any CodingKey]) {
            self.items = items
            self.codingPath = codingPath
        }

        mutating func next() throws -> (YAMLNode, [any CodingKey]) {
            guard !isAtEnd else {
                throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath, debugDescription: "the list has no more items"))
            }
            defer { currentIndex += 1 }
            return (items[currentIndex], codingPath + [Index(currentIndex)])
        }

        mutating func decodeNil() throws -> Bool {
            guard !isAtEnd, YAMLNodeDecoder.scalar(items[currentIndex])?.isNull == true else { return false }
            currentIndex += 1
            return true
        }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            let (node, path) = try next()
            return try YAMLNodeDecoder.decode(type, from: node, codingPath: path)
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            let (node, path) = try next()
            return try YAMLNodeDecoder(node: node, codingPath: path).container(keyedBy: type)
        }
        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
            let (node, path) = try next()
            return try YAMLNodeDecoder(node: node, codingPath: path).unkeyedContainer()
        }
        mutating func superDecoder() throws -> any Decoder {
            let (node, path) = try next()
            return YAMLNodeDecoder(node: node, codingPath: path)
        }
    }

    struct Single: SingleValueDecodingContainer {
        let node: YAMLNode
        let codingPath: [any CodingKey]

        func decodeNil() -> Bool { YAMLNodeDecoder.scalar(node)?.isNull ?? false }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try YAMLNodeDecoder.decode(type, from: node, codingPath: codingPath) }
    }

    /// Scalars of the standard library by the core schema; everything else by its own
    /// `init(from:)`.
    static func decode<T: Decodable>(_ type: T.Type, from node: YAMLNode, codingPath: [any CodingKey]) throws -> T {
        func value<V>(_ v: V?, _ what: String) throws -> T {
            guard let v, let t = v as? T else { throw mismatch(node, what, codingPath) }
            return t
        }
        if type == String.self {
            guard let s = scalar(node) else { throw mismatch(node, "a string", codingPath) }
            return s.text as! T
        }
        if type == Bool.self { return try value(scalar(node).flatMap(bool), "true or false") }
        if type == Int.self { return try value(scalar(node).flatMap(integer), "an integer") }
        if type == Double.self { return try value(scalar(node).flatMap(double), "a number") }
        if type == Float.self { return try value(scalar(node).flatMap(double).map(Float.init), "a number") }
        if type == URL.self {
            guard let s = scalar(node), let url = URL(string: s.text) else { throw mismatch(node, "a URL", codingPath) }
            return url as! T
        }
        if let integerType = type as? any FixedWidthInteger.Type {
            guard let i = scalar(node).flatMap(integer), let v = integerType.init(exactly: i) else { throw mismatch(node, "an integer", codingPath) }
            return v as! T
        }
        return try T(from: YAMLNodeDecoder(node: node, codingPath: codingPath))
    }
}

extension YAMLNodeDecoder {
    public func decode<T: Decodable>(_ type: T.Type) throws -> T { try Self.decode(type, from: node, codingPath: []) }
}
