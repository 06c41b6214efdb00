import KeywayModel

/// A view as a template sees it, as a tree: strings, booleans, integers, lists and objects
/// (name → value, in declaration order; an absent optional is simply not there). What the
/// tests write and compare, and whose names an override is checked against; a render
/// reads the same data laid out flat (`TemplateData`).
enum TemplateValue: Sendable, Equatable {
    case string(String)
    case bool(Bool)
    case int(Int)
    case list([TemplateValue])
    case object([(String, TemplateValue)])

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
/// optionals, and arrays of such structs, turned into `TemplateData` through its
/// synthesized `Encodable` conformance — one member per stored property, in declaration
/// order, an absent optional left out. Nothing about a view is written twice.
typealias TemplateView = Encodable & Sendable

/// A view laid out for rendering: every value a slot of one array, the members of an
/// object and the items of a list side by side in another, every string's bytes in one
/// buffer. What a render reads is indexes into three arrays made by one encoding: no
/// value of its own to allocate, retain or free. (`TemplateValue` is the same data as a
/// tree, for the tests and the checks of an override's names.)
struct TemplateData {
    enum Kind: UInt8 { case string, bool, int, list, object }

    /// A string: bytes `a..<a+b`; a boolean or an integer: `a`; a list or an object:
    /// children `a..<a+b`.
    struct Slot {
        var kind: Kind
        var a: Int
        var b: Int
    }

    /// A member of an object (its name), or an item of a list (no name).
    struct Child {
        var key: String
        var slot: Int
    }

    var slots: [Slot] = []
    var children: [Child] = []
    var bytes: [UInt8] = []
    var root = 0

    /// The data of a view, through its `Encodable` conformance.
    init<T: Encodable>(_ view: T) {
        let builder = TemplateValueEncoder.Builder()
        self.init(builder, root: TemplateValueEncoder.add(view, to: builder))
    }

    /// The data of a tree.
    init(_ tree: TemplateValue) {
        let builder = TemplateValueEncoder.Builder()
        func add(_ value: TemplateValue) -> Int {
            switch value {
            case .string(let s): return builder.string(s)
            case .bool(let b): return builder.scalar(.bool, b ? 1 : 0)
            case .int(let i): return builder.scalar(.int, i)
            case .list(let items):
                let mark = builder.state.pointee.pending.count
                for item in items {
                    let slot = add(item)
                    builder.state.pointee.pending.append(Child(key: "", slot: slot))
                }
                return builder.close(.list, from: mark)
            case .object(let pairs):
                let mark = builder.state.pointee.pending.count
                for (key, member) in pairs {
                    let slot = add(member)
                    builder.state.pointee.pending.append(Child(key: key, slot: slot))
                }
                return builder.close(.object, from: mark)
            }
        }
        self.init(builder, root: add(tree))
    }

    private init(_ builder: TemplateValueEncoder.Builder, root: Int) {
        (slots, children, bytes) = (builder.state.pointee.slots, builder.state.pointee.children, builder.state.pointee.bytes)
        self.root = root
    }

    /// The same data as a tree.
    var tree: TemplateValue { value(root) }

    func value(_ index: Int) -> TemplateValue {
        let slot = slots[index]
        switch slot.kind {
        case .string: return .string(String(decoding: bytes[slot.a..<(slot.a + slot.b)], as: UTF8.self))
        case .bool: return .bool(slot.a != 0)
        case .int: return .int(slot.a)
        case .list: return .list(children[slot.a..<(slot.a + slot.b)].map { value($0.slot) })
        case .object: return .object(children[slot.a..<(slot.a + slot.b)].map { ($0.key, value($0.slot)) })
        }
    }
}

enum TemplateValueEncoder {
    /// A view as a tree (the tests', and the names an override may use).
    static func value<T: Encodable>(of view: T) -> TemplateValue { TemplateData(view).tree }

    /// Where one encoding writes. An object's members (a list's items) are collected on
    /// `pending` while its values are encoded — a nested object moves its own off first —
    /// and moved to `children` side by side when its `encode(to:)` returns. The state sits
    /// behind a pointer: the containers share it, and a class's own arrays would be checked
    /// for overlapping access at every append.
    final class Builder {
        struct State {
            var slots: [Slot] = []
            var children: [TemplateData.Child] = []
            var bytes: [UInt8] = []
            var pending: [TemplateData.Child] = []
            /// What each `encode(to:)` under way opened: a keyed or an unkeyed container,
            /// or the slot of the scalar it wrote.
            var frames: [(kind: TemplateData.Kind?, scalar: Int?)] = []
        }

        let state: UnsafeMutablePointer<State>

        init() {
            state = .allocate(capacity: 1)
            state.initialize(to: State())
            state.pointee.slots.reserveCapacity(256)
            state.pointee.children.reserveCapacity(256)
            state.pointee.bytes.reserveCapacity(4096)
        }

        deinit {
            state.deinitialize(count: 1)
            state.deallocate()
        }

        func string(_ value: String) -> Int {
            state.pointee.slots.append(Slot(kind: .string, a: state.pointee.bytes.count, b: value.utf8.count))
            state.pointee.bytes.appendUTF8(value)
            return state.pointee.slots.count - 1
        }

        func scalar(_ kind: TemplateData.Kind, _ a: Int) -> Int {
            state.pointee.slots.append(Slot(kind: kind, a: a, b: 0))
            return state.pointee.slots.count - 1
        }

        /// The slot of a list or an object whose items (members) are `pending[mark...]`:
        /// they move to `children`, side by side.
        func close(_ kind: TemplateData.Kind, from mark: Int) -> Int {
            let count = state.pointee.pending.count - mark
            state.pointee.slots.append(Slot(kind: kind, a: state.pointee.children.count, b: count))
            state.pointee.children.append(contentsOf: state.pointee.pending[mark...])
            state.pointee.pending.removeLast(count)
            return state.pointee.slots.count - 1
        }
    }

    /// The slot of `value`, encoded into `builder`.
    static func add<T: Encodable>(_ value: T, to builder: Builder) -> Int {
        // Scalars by their type (a metatype comparison, not a dynamic cast: list items and
        // members reach here generically).
        if T.self == String.self { return builder.string(unsafeBitCast(value, to: String.self)) }
        if T.self == Bool.self { return builder.scalar(.bool, unsafeBitCast(value, to: Bool.self) ? 1 : 0) }
        if T.self == Int.self { return builder.scalar(.int, unsafeBitCast(value, to: Int.self)) }
        let state = builder.state
        let mark = state.pointee.pending.count
        let frame = state.pointee.frames.count
        state.pointee.frames.append((nil, nil))
        // The encoders below throw nothing of their own; a view's encode(to:) is synthesized.
        try? value.encode(to: BoxEncoder(builder: builder, frame: frame))
        let (kind, scalar) = state.pointee.frames.removeLast()
        if kind == nil, let scalar { return scalar }
        return builder.close(kind ?? .object, from: mark)
    }

    typealias Slot = TemplateData.Slot

    struct BoxEncoder: Encoder {
        let builder: Builder
        let frame: Int
        var codingPath: [any CodingKey] { [] }
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            if builder.state.pointee.frames[frame].kind == nil { builder.state.pointee.frames[frame].kind = .object }
            return KeyedEncodingContainer(Members<Key>(builder: builder))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            if builder.state.pointee.frames[frame].kind == nil { builder.state.pointee.frames[frame].kind = .list }
            return Items(builder: builder)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer { Scalar(builder: builder, frame: frame) }
    }

    struct Members<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let builder: Builder
        var codingPath: [any CodingKey] { [] }
        private func add(_ key: Key, _ slot: Int) { builder.state.pointee.pending.append(.init(key: key.stringValue, slot: slot)) }
        private func add(_ key: Key, int value: Int) { add(key, builder.scalar(.int, value)) }
        mutating func encodeNil(forKey key: Key) {}
        mutating func encode(_ value: String, forKey key: Key) { add(key, builder.string(value)) }
        mutating func encode(_ value: Bool, forKey key: Key) { add(key, builder.scalar(.bool, value ? 1 : 0)) }
        mutating func encode(_ value: Int, forKey key: Key) { add(key, int: value) }
        mutating func encode(_ value: Double, forKey key: Key) { add(key, builder.string(String(value))) }
        mutating func encode(_ value: Float, forKey key: Key) { add(key, builder.string(String(value))) }
        mutating func encode(_ value: Int8, forKey key: Key) { add(key, int: Int(value)) }
        mutating func encode(_ value: Int16, forKey key: Key) { add(key, int: Int(value)) }
        mutating func encode(_ value: Int32, forKey key: Key) { add(key, int: Int(value)) }
        mutating func encode(_ value: Int64, forKey key: Key) { add(key, int: Int(value)) }
        mutating func encode(_ value: UInt, forKey key: Key) { add(key, int: Int(value)) }
        mutating func encode(_ value: UInt8, forKey key: Key) { add(key, int: Int(value)) }
        mutating func encode(_ value: UInt16, forKey key: Key) { add(key, int: Int(value)) }
        mutating func encode(_ value: UInt32, forKey key: Key) { add(key, int: Int(value)) }
        mutating func encode(_ value: UInt64, forKey key: Key) { add(key, int: Int(value)) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) { add(key, TemplateValueEncoder.add(value, to: builder)) }
        // Not used by a synthesized conformance: an empty object, whatever is written into it.
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            add(key, builder.close(.object, from: builder.state.pointee.pending.count))
            return KeyedEncodingContainer(Members<NestedKey>(builder: Builder()))
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { Items(builder: Builder()) }
        mutating func superEncoder() -> any Encoder { BoxEncoder.detached }
        mutating func superEncoder(forKey key: Key) -> any Encoder { BoxEncoder.detached }
    }

    struct Items: UnkeyedEncodingContainer {
        let builder: Builder
        /// Where this list's items start on `pending`.
        let mark: Int
        init(builder: Builder) {
            self.builder = builder
            mark = builder.state.pointee.pending.count
        }
        var codingPath: [any CodingKey] { [] }
        var count: Int { builder.state.pointee.pending.count - mark }
        mutating func encodeNil() {}
        mutating func encode<T: Encodable>(_ value: T) {
            let slot = TemplateValueEncoder.add(value, to: builder)
            builder.state.pointee.pending.append(.init(key: "", slot: slot))
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            KeyedEncodingContainer(Members<NestedKey>(builder: Builder()))
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { Items(builder: Builder()) }
        mutating func superEncoder() -> any Encoder { BoxEncoder.detached }
    }

    struct Scalar: SingleValueEncodingContainer {
        let builder: Builder
        let frame: Int
        var codingPath: [any CodingKey] { [] }
        private func set(_ slot: Int) { builder.state.pointee.frames[frame].scalar = slot }
        mutating func encodeNil() {}
        mutating func encode(_ value: String) { set(builder.string(value)) }
        mutating func encode(_ value: Bool) { set(builder.scalar(.bool, value ? 1 : 0)) }
        mutating func encode(_ value: Int) { set(builder.scalar(.int, value)) }
        mutating func encode<T: Encodable>(_ value: T) { set(TemplateValueEncoder.add(value, to: builder)) }
    }
}

extension TemplateValueEncoder.BoxEncoder {
    /// An encoder whose writes go nowhere (a super encoder: not used by a synthesized conformance).
    static var detached: Self {
        let builder = TemplateValueEncoder.Builder()
        builder.state.pointee.frames.append((nil, nil))
        return Self(builder: builder, frame: 0)
    }
}
