import KeywayModel

/// A view as a template sees it: strings, booleans, integers, lists and objects (name →
/// value, in declaration order; an absent optional is simply not there).
enum TemplateValue: Sendable, Equatable {
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

    static func == (a: TemplateValue, b: TemplateValue) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): x == y
        case (.bool(let x), .bool(let y)): x == y
        case (.int(let x), .int(let y)): x == y
        case (.list(let x), .list(let y)): x == y
        case (.object(let x), .object(let y)): x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    /// Every member name reachable from this value (objects in lists too).
    var names: Set<String> {
        var names: Set<String> = []
        var stack = [self]
        while let value = stack.popLast() {
            switch value {
            case .object(let pairs):
                for (name, member) in pairs {
                    names.insert(name)
                    stack.append(member)
                }
            case .list(let items): stack += items
            case .string, .bool, .int: break
            }
        }
        return names
    }
}

// MARK: - Views

/// An emitter's view as a template sees it: a struct of strings, booleans, integers,
/// optionals, and arrays of such structs, turned into a `TemplateValue` through its
/// synthesized `Encodable` conformance — one member per stored property, in declaration
/// order, an absent optional left out. Nothing about a view is written twice.
typealias TemplateView = Encodable & Sendable

enum TemplateValueEncoder {
    static func value<T: Encodable>(of view: T) -> TemplateValue {
        // Scalars by their type (a metatype comparison, not a dynamic cast: list items and
        // members reach here generically).
        if T.self == String.self { return .string(unsafeBitCast(view, to: String.self)) }
        if T.self == Bool.self { return .bool(unsafeBitCast(view, to: Bool.self)) }
        if T.self == Int.self { return .int(unsafeBitCast(view, to: Int.self)) }
        let box = Box()
        // The encoders below throw nothing of their own; a view's encode(to:) is synthesized.
        try? view.encode(to: BoxEncoder(box: box))
        return box.result
    }

    /// What one `encode(to:)` wrote: a scalar, an object's members or a list's items.
    final class Box {
        var scalar: TemplateValue?
        var members: [(String, TemplateValue)]?
        var items: [TemplateValue]?

        var result: TemplateValue {
            if let members { return .object(members) }
            if let items { return .list(items) }
            return scalar ?? .object([])
        }
    }

    struct BoxEncoder: Encoder {
        let box: Box
        var codingPath: [any CodingKey] { [] }
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            if box.members == nil { box.members = [] }
            return KeyedEncodingContainer(Members<Key>(box: box))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            if box.items == nil { box.items = [] }
            return Items(box: box)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer { Scalar(box: box) }
    }

    struct Members<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let box: Box
        var codingPath: [any CodingKey] { [] }
        private func add(_ key: Key, _ value: TemplateValue) { box.members!.append((key.stringValue, value)) }
        mutating func encodeNil(forKey key: Key) {}
        mutating func encode(_ value: String, forKey key: Key) { add(key, .string(value)) }
        mutating func encode(_ value: Bool, forKey key: Key) { add(key, .bool(value)) }
        mutating func encode(_ value: Int, forKey key: Key) { add(key, .int(value)) }
        mutating func encode(_ value: Double, forKey key: Key) { add(key, .string(String(value))) }
        mutating func encode(_ value: Float, forKey key: Key) { add(key, .string(String(value))) }
        mutating func encode(_ value: Int8, forKey key: Key) { add(key, .int(Int(value))) }
        mutating func encode(_ value: Int16, forKey key: Key) { add(key, .int(Int(value))) }
        mutating func encode(_ value: Int32, forKey key: Key) { add(key, .int(Int(value))) }
        mutating func encode(_ value: Int64, forKey key: Key) { add(key, .int(Int(value))) }
        mutating func encode(_ value: UInt, forKey key: Key) { add(key, .int(Int(value))) }
        mutating func encode(_ value: UInt8, forKey key: Key) { add(key, .int(Int(value))) }
        mutating func encode(_ value: UInt16, forKey key: Key) { add(key, .int(Int(value))) }
        mutating func encode(_ value: UInt32, forKey key: Key) { add(key, .int(Int(value))) }
        mutating func encode(_ value: UInt64, forKey key: Key) { add(key, .int(Int(value))) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) { add(key, TemplateValueEncoder.value(of: value)) }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            let nested = Box()
            nested.members = []
            add(key, .object([]))
            return KeyedEncodingContainer(Members<NestedKey>(box: nested))
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { Items(box: Box()) }
        mutating func superEncoder() -> any Encoder { BoxEncoder(box: Box()) }
        mutating func superEncoder(forKey key: Key) -> any Encoder { BoxEncoder(box: Box()) }
    }

    struct Items: UnkeyedEncodingContainer {
        let box: Box
        var codingPath: [any CodingKey] { [] }
        var count: Int { box.items?.count ?? 0 }
        mutating func encodeNil() {}
        mutating func encode<T: Encodable>(_ value: T) { box.items!.append(TemplateValueEncoder.value(of: value)) }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            KeyedEncodingContainer(Members<NestedKey>(box: Box()))
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { Items(box: Box()) }
        mutating func superEncoder() -> any Encoder { BoxEncoder(box: Box()) }
    }

    struct Scalar: SingleValueEncodingContainer {
        let box: Box
        var codingPath: [any CodingKey] { [] }
        mutating func encodeNil() {}
        mutating func encode(_ value: String) { box.scalar = .string(value) }
        mutating func encode(_ value: Bool) { box.scalar = .bool(value) }
        mutating func encode(_ value: Int) { box.scalar = .int(value) }
        mutating func encode<T: Encodable>(_ value: T) { box.scalar = TemplateValueEncoder.value(of: value) }
    }
}
