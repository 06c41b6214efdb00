import Foundation

/// Arguments that break an input's contract: the field (`items[0].quantity`, or "" for
/// the whole) and why, in words a model can act on.
public struct InputViolation: Error, Sendable, Equatable {
    public var field: String
    public var reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }
}

extension InputContract {
    /// Checks a model's arguments (defaults already filled in, see `applyingDefaults`)
    /// and returns the input as the tool sends it: declared fields only, absent optional
    /// ones left out. The checks run in one order, the first failure wins:
    /// 1. a number an integer field cannot hold, anywhere (keys in sorted order);
    /// 2. the shape, field by field in declaration order, depth first: a missing required
    ///    field, a null, a value of another type (what a `Codable` struct's decoding refuses);
    /// 3. each field's format, constraints (in `Constraint.Key` order), items or values or
    ///    nested fields, and allowed values, in declaration order.
    /// Fields the contract does not declare are ignored, as `Codable` ignores them.
    public func check(_ arguments: Data) throws(InputViolation) -> JSONValue {
        let value: JSONValue
        do {
            value = try JSONValue(json: arguments.isEmpty ? Data("{}".utf8) : arguments)
        } catch {
            throw InputViolation(field: "", reason: "the arguments are not a JSON object")
        }
        return try check(value)
    }

    /// `check(_:)` of a parsed value.
    public func check(_ value: JSONValue) throws(InputViolation) -> JSONValue {
        let properties = self.properties
        if let field = Self.nonIntegerField(value, .object(properties: properties), path: "") {
            throw InputViolation(field: field, reason: "must be an integer")
        }
        // An input without fields reads nothing: any JSON value will do.
        if properties.isEmpty { return .object([:]) }
        guard case .object(let fields) = value else {
            throw InputViolation(field: "", reason: value == .null ? "must be an object, not null" : "must be an object")
        }
        let input = try Self.decodeObject(fields, properties, path: [])
        for property in properties {
            try Self.validate(input[property.name], property.schema, field: property.name)
        }
        return .object(input)
    }

    /// The arguments with every omitted (or null) field that declares a `default` set to
    /// it, in nested objects too: the request sends what the schema told the model.
    /// Arguments that are not a JSON object are left for `check` to refuse.
    public func applyingDefaults(_ arguments: Data) -> Data {
        guard let value = try? JSONValue(json: arguments.isEmpty ? Data("{}".utf8) : arguments), case .object = value else { return arguments }
        func fill(_ value: JSONValue, _ properties: [NamedSchema]) -> JSONValue {
            guard case .object(var fields) = value else { return value }
            for property in properties {
                if fields[property.name] == nil || fields[property.name] == .null {
                    if let fallback = property.schema.defaultValue { fields[property.name] = fallback.json }
                } else if case .object(let nested) = property.schema.type, let present = fields[property.name] {
                    fields[property.name] = fill(present, nested)
                }
            }
            return .object(fields)
        }
        let filled = fill(value, properties)
        return filled == value ? arguments : filled.jsonData
    }

    // MARK: - The checks

    private enum Key {
        case name(String)
        case index(Int)
    }

    /// Keys joined by dots, indices in brackets: `items[0].quantity`.
    private static func text(_ path: [Key]) -> String {
        var out = ""
        for key in path {
            switch key {
            case .name(let name): out += out.isEmpty ? name : "." + name
            case .index(let i): out += "[\(i)]"
            }
        }
        return out
    }

    /// What a value of the schema's type is, in words.
    private static func describe(_ schema: ValueSchema) -> String {
        switch schema.type {
        case .string: "a string"
        case .integer: "an integer"
        case .number: "a number"
        case .boolean: "true or false"
        case .array: "a list"
        case .object, .map: "an object"
        }
    }

    /// The first number that an integer field cannot hold (a fraction, or beyond 64 bits).
    private static func nonIntegerField(_ value: JSONValue, _ type: ValueType, path: String) -> String? {
        switch (value, type) {
        case (.number(let d), .integer):
            return Int(exactly: d) == nil ? path : nil
        case (.array(let items), .array(let itemSchema)):
            for (i, item) in items.enumerated() {
                if let found = nonIntegerField(item, itemSchema.type, path: path + "[\(i)]") { return found }
            }
            return nil
        case (.object(let fields), .object(let properties)):
            let byName = Dictionary(properties.map { ($0.name, $0.schema) }, uniquingKeysWith: { a, _ in a })
            for name in fields.keys.sorted() {
                guard let schema = byName[name] else { continue }
                if let found = nonIntegerField(fields[name]!, schema.type, path: path.isEmpty ? name : path + "." + name) { return found }
            }
            return nil
        case (.object(let fields), .map(let values)):
            for name in fields.keys.sorted() {
                if let found = nonIntegerField(fields[name]!, values.type, path: path.isEmpty ? name : path + "." + name) { return found }
            }
            return nil
        default:
            return nil
        }
    }

    /// An object's declared fields, in declaration order: a missing required one is
    /// "is required", a null one "must be …, not null"; an absent or null optional one is
    /// left out; undeclared keys are dropped.
    private static func decodeObject(_ fields: [String: JSONValue], _ properties: [NamedSchema], path: [Key]) throws(InputViolation) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for property in properties {
            let at = path + [.name(property.name)]
            guard let value = fields[property.name], value != .null else {
                if property.schema.optional { continue }
                if fields[property.name] == nil { throw InputViolation(field: text(at), reason: "is required") }
                throw InputViolation(field: text(at), reason: "must be \(describe(property.schema)), not null")
            }
            out[property.name] = try decode(value, property.schema, path: at)
        }
        return out
    }

    private static func decode(_ value: JSONValue, _ schema: ValueSchema, path: [Key]) throws(InputViolation) -> JSONValue {
        switch (schema.type, value) {
        case (.string, .string), (.number, .number), (.boolean, .bool):
            return value
        case (.integer, .number(let d)):
            guard Int(exactly: d) != nil else { throw InputViolation(field: text(path), reason: "must be an integer") }
            return value
        case (.array(let items), .array(let elements)):
            var out: [JSONValue] = []
            for (i, element) in elements.enumerated() {
                let at = path + [.index(i)]
                if element == .null { throw InputViolation(field: text(at), reason: "must be \(describe(items)), not null") }
                out.append(try decode(element, items, path: at))
            }
            return .array(out)
        case (.object(let properties), .object(let fields)):
            return .object(try decodeObject(fields, properties, path: path))
        case (.map(let values), .object(let fields)):
            var out: [String: JSONValue] = [:]
            for key in fields.keys.sorted() {
                let at = path + [.name(key)]
                if fields[key] == .null { throw InputViolation(field: text(at), reason: "must be \(describe(values)), not null") }
                out[key] = try decode(fields[key]!, values, path: at)
            }
            return .object(out)
        default:
            throw InputViolation(field: text(path), reason: "must be \(describe(schema))")
        }
    }

    /// One field's format, constraints, items (`field[]`), map values (`field.*`), nested
    /// fields and allowed values, in that order. An absent value passes.
    private static func validate(_ value: JSONValue?, _ schema: ValueSchema, field: String) throws(InputViolation) {
        guard let value else { return }
        if case .string(let format?) = schema.type, case .string(let s) = value, let reason = format.violation(by: s) {
            throw InputViolation(field: field, reason: reason)
        }
        for constraint in schema.constraints {
            if let reason = constraint.violation(by: value) { throw InputViolation(field: field, reason: reason) }
        }
        switch (schema.type, value) {
        case (.array(let items), .array(let elements)):
            for element in elements { try validate(element, items, field: field + "[]") }
        case (.map(let values), .object(let fields)):
            for key in fields.keys.sorted() { try validate(fields[key], values, field: field + ".*") }
        case (.object(let properties), .object(let fields)):
            for property in properties { try validate(fields[property.name], property.schema, field: field + "." + property.name) }
        default:
            break
        }
        if let allowed = schema.allowed, !allowed.contains(where: { $0.json == value }) {
            throw InputViolation(field: field, reason: "must be one of \(allowed.map { $0.described(as: schema.type) }.joined(separator: ", "))")
        }
    }
}

extension LiteralValue {
    /// An allowed value as the message "must be one of …" lists it: a number field's
    /// values as Swift prints a `Double` (`2.0`), every other as it is.
    func described(as type: ValueType) -> String {
        switch (self, type) {
        case (.integer(let i), .number): String(Double(i))
        case (.number(let d), _): String(d)
        default: text
        }
    }
}

// MARK: - JSON Schema

/// A JSON value whose object keys keep their order: what the JSON Schema writer builds,
/// so that a schema's text is the same on every run.
public indirect enum OrderedJSON: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case number(Double)
    case bool(Bool)
    case array([OrderedJSON])
    case object([(String, OrderedJSON)])
    case null

    public static func == (a: OrderedJSON, b: OrderedJSON) -> Bool { a.value == b.value }

    /// A manifest literal as it is written in JSON.
    public init(_ literal: LiteralValue) {
        switch literal {
        case .string(let s): self = .string(s)
        case .integer(let i): self = .integer(i)
        case .number(let d): self = .number(d)
        case .boolean(let b): self = .bool(b)
        }
    }

    /// A number, whole when JSON writes it without a fraction.
    public static func number(from d: Double) -> OrderedJSON { JSONNumber.whole(d).map { .integer($0) } ?? .number(d) }

    /// The value without its order.
    public var value: JSONValue {
        switch self {
        case .string(let s): .string(s)
        case .integer(let i): .number(Double(i))
        case .number(let d): .number(d)
        case .bool(let b): .bool(b)
        case .array(let items): .array(items.map(\.value))
        case .object(let pairs): .object(Dictionary(pairs.map { ($0.0, $0.1.value) }, uniquingKeysWith: { a, _ in a }))
        case .null: .null
        }
    }
}

extension InputContract {
    /// The JSON Schema (draft 2020-12) of the input, as model APIs take it.
    public var jsonSchema: JSONValue { orderedJSONSchema.value }

    /// `jsonSchema`, keys in the order written: `type`, `description`, `format`, `items`
    /// or `properties`/`required`/`additionalProperties`, the constraints, `enum`, `default`.
    /// Objects are closed (`additionalProperties: false`): a model sends nothing else.
    public var orderedJSONSchema: OrderedJSON { JSONSchemaWriter(closed: true).object(properties, description: nil, nullable: false) }
}

/// Writes the JSON Schema of a contract's values: an input's (objects closed) or an
/// output's (objects open: providers answer with more than a tool declares).
struct JSONSchemaWriter {
    var closed: Bool

    func object(_ properties: [NamedSchema], description: String?, nullable: Bool) -> OrderedJSON {
        var pairs: [(String, OrderedJSON)] = [("type", Self.type("object", nullable: nullable))]
        if let description { pairs.append(("description", .string(description))) }
        pairs.append(("properties", .object(properties.map { ($0.name, schema($0.schema)) })))
        let required = properties.filter { !$0.schema.optional }.map { OrderedJSON.string($0.name) }
        if !required.isEmpty { pairs.append(("required", .array(required))) }
        if closed { pairs.append(("additionalProperties", .bool(false))) }
        return .object(pairs)
    }

    func schema(_ s: ValueSchema) -> OrderedJSON {
        if case .object(let properties) = s.type { return object(properties, description: s.description, nullable: s.nullable) }
        var pairs: [(String, OrderedJSON)] = [("type", Self.type(s.type.name, nullable: s.nullable))]
        if let description = s.description { pairs.append(("description", .string(description))) }
        if case .string(let format?) = s.type { pairs.append(("format", .string(format.rawValue))) }
        if case .array(let items) = s.type { pairs.append(("items", schema(items))) }
        if case .map(let values) = s.type { pairs.append(("additionalProperties", schema(values))) }
        for constraint in s.constraints {
            let (keyword, value) = constraint.jsonSchema(for: s.type)
            pairs.append((keyword, Self.ordered(value)))
        }
        if let allowed = s.allowed { pairs.append(("enum", .array(allowed.map(OrderedJSON.init) + (s.nullable ? [.null] : [])))) }
        if let d = s.defaultValue { pairs.append(("default", OrderedJSON(d))) }
        return .object(pairs)
    }

    /// `"string"`, or `["string", "null"]` when the value may be null.
    static func type(_ name: String, nullable: Bool) -> OrderedJSON {
        nullable ? .array([.string(name), .string("null")]) : .string(name)
    }

    /// A constraint's value (a number, or a string).
    static func ordered(_ value: JSONValue) -> OrderedJSON {
        switch value {
        case .number(let d): .number(from: d)
        case .string(let s): .string(s)
        case .bool(let b): .bool(b)
        default: .string("")
        }
    }
}
