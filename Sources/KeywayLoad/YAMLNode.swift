import KeywayModel

/// A YAML node with the position it was written at. Scalars keep their text as written;
/// the validator types them by the schema (so `no` stays the string "no" where a string
/// is expected — no YAML 1.1 "Norway problem").
public struct YAMLNode: Sendable {
    /// Lists and mappings hold their children in arrays (already references), so the
    /// enum itself is stored inline: one allocation fewer for every node.
    public enum Value: Sendable {
        case scalar(YAMLScalar)
        case sequence([YAMLNode])
        case mapping([YAMLPair])
    }

    public var value: Value
    public var location: SourceLocation

    public init(_ value: Value, at location: SourceLocation) {
        self.value = value
        self.location = location
    }

    public var kindName: String {
        switch value {
        case .scalar(let s): s.isNull ? "null" : "a scalar"
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }
}

public struct YAMLScalar: Sendable {
    public enum Style: Sendable { case plain, quoted, block }
    public var text: String
    public var style: Style

    public init(text: String, style: Style) {
        self.text = text
        self.style = style
    }

    /// A plain `~`, `null` or empty scalar (YAML core schema).
    public var isNull: Bool {
        // The null spellings are 0, 1 or 4 bytes (of `equalsOnlyItsOwnBytes` ASCII).
        guard style == .plain, text.utf8.count == 0 || text.utf8.count == 1 || text.utf8.count == 4 else { return false }
        switch text {
        case "", "~", "null", "Null", "NULL": return true
        default: return false
        }
    }
}

public struct YAMLPair: Sendable {
    public var key: String
    public var keyLocation: SourceLocation
    public var value: YAMLNode

    public init(key: String, keyLocation: SourceLocation, value: YAMLNode) {
        self.key = key
        self.keyLocation = keyLocation
        self.value = value
    }
}

extension Array where Element == YAMLPair {
    /// The index of the pair whose key is `key`, comparing keys in place (a pair is not
    /// copied — its strings and node retained — to look at it).
    public func index(ofKey key: String) -> Int? {
        for index in indices where self[index].key == key { return index }
        return nil
    }

    /// `index(ofKey:)` for a key of plain ASCII (`String.equalsOnlyItsOwnBytes`, as a
    /// schema's keys are): lengths are compared first, since they decide a mismatch and
    /// most keys passed over differ in length.
    public func index(ofPlainKey key: String) -> Int? {
        assert(key.equalsOnlyItsOwnBytes, "'\(key)' is not a plain key")
        let length = key.utf8.count
        for index in indices where self[index].key.utf8.count == length && self[index].key == key { return index }
        return nil
    }
}
