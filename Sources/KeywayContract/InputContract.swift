/// The contract of a tool's input: each field's type, format, constraints, allowed
/// values and default, and where it goes in the provider's request. It is declared once,
/// read from a connector manifest, and everything that needs it reads this value: the
/// validator builds it, the generated Swift carries it as a literal, `keyway mcp` builds
/// it at run time, and the one interpreter here checks arguments against it
/// (`check(_:)`), fills its defaults (`applyingDefaults(_:)`) and writes its JSON Schema
/// (`jsonSchema`).
public struct InputContract: Sendable, Equatable, ExpressibleByArrayLiteral {
    /// In declaration (manifest) order, which is the order checks run in.
    public var fields: [InputField]

    public init(_ fields: [InputField]) { self.fields = fields }
    public init(arrayLiteral fields: InputField...) { self.fields = fields }

    /// The fields as the properties of one object.
    public var properties: [NamedSchema] { fields.map { NamedSchema($0.name, $0.schema) } }

    public func field(named name: String) -> InputField? { fields.first { $0.name == name } }
}

/// One top-level input: its schema, and where it goes in the request.
public struct InputField: Sendable, Equatable {
    public var name: String
    public var schema: ValueSchema
    /// Where the value goes: the path, the query, a header or the body.
    public var placement: InputPlacement
    /// `wire:`: the name in the query, header or body when it is not the input's own
    /// (`expand[]`, `Notion-Version`, `$filter`); the model still sees `name`.
    public var wire: String?
    /// `style:` of an array in the query (nil for every other input: `repeated` applies).
    public var style: QueryArrayStyle?

    public init(_ name: String, _ schema: ValueSchema, in placement: InputPlacement, wire: String? = nil, style: QueryArrayStyle? = nil) {
        self.name = name
        self.schema = schema
        self.placement = placement
        self.wire = wire
        self.style = style
    }

    /// The form the generated Swift writes: the schema's parts inline.
    public init(_ name: String, _ type: ValueType, description: String? = nil, optional: Bool = false, default defaultValue: LiteralValue? = nil,
                enum allowed: [LiteralValue]? = nil, constraints: [Constraint] = [], in placement: InputPlacement, wire: String? = nil, style: QueryArrayStyle? = nil) {
        self.init(name, ValueSchema(type, description: description, optional: optional, default: defaultValue, enum: allowed, constraints: constraints),
                  in: placement, wire: wire, style: style)
    }

    /// The name the provider receives.
    public var wireName: String { wire ?? name }
}

/// A named value inside an object: a nested property.
public struct NamedSchema: Sendable, Equatable {
    public var name: String
    public var schema: ValueSchema

    public init(_ name: String, _ schema: ValueSchema) {
        self.name = name
        self.schema = schema
    }

    /// The form the generated Swift writes: the schema's parts inline.
    public init(_ name: String, _ type: ValueType, description: String? = nil, optional: Bool = false, nullable: Bool = false, default defaultValue: LiteralValue? = nil,
                enum allowed: [LiteralValue]? = nil, constraints: [Constraint] = []) {
        self.init(name, ValueSchema(type, description: description, optional: optional, nullable: nullable, default: defaultValue, enum: allowed, constraints: constraints))
    }
}

/// What one value of a tool's contract may be (an input, or a field of the output): its
/// type (with nested schemas), whether it may be left out, the value sent when it is, the
/// values allowed, and the constraints it must meet.
public struct ValueSchema: Sendable, Equatable {
    public var type: ValueType
    public var description: String?
    public var optional: Bool
    /// `nullable:` (outputs only): the provider may send `null` for it.
    public var nullable: Bool
    /// `default:`: sent when the caller leaves the value out.
    public var defaultValue: LiteralValue?
    /// `enum:`: the only values allowed.
    public var allowed: [LiteralValue]?
    /// In `Constraint.Key` order, at most one of each key.
    public var constraints: [Constraint]

    public init(_ type: ValueType, description: String? = nil, optional: Bool = false, nullable: Bool = false, default defaultValue: LiteralValue? = nil,
                enum allowed: [LiteralValue]? = nil, constraints: [Constraint] = []) {
        self.type = type
        self.description = description
        self.optional = optional
        self.nullable = nullable
        self.defaultValue = defaultValue
        self.allowed = allowed
        self.constraints = constraints.sorted { $0.key.order < $1.key.order }
    }

    /// The constraint of `key`, if the schema has one.
    public func constraint(_ key: Constraint.Key) -> Constraint? { constraints.first { $0.key == key } }
}

public indirect enum ValueType: Sendable, Equatable {
    case string(format: StringFormat? = nil)
    case integer
    case number
    case boolean
    case array(items: ValueSchema)
    case object(properties: [NamedSchema])
    /// `type: object` with `values:`: a map from any string key to values of one schema
    /// (JSON Schema's `additionalProperties`), like HubSpot's `properties` or Stripe's `metadata`.
    case map(values: ValueSchema)

    /// The type's name in manifests and in JSON Schema.
    public var name: String {
        switch self {
        case .string: "string"
        case .integer: "integer"
        case .number: "number"
        case .boolean: "boolean"
        case .array: "array"
        case .object, .map: "object"
        }
    }

    /// A string, number or boolean: what a path, query or header can hold.
    public var isScalar: Bool {
        switch self {
        case .string, .integer, .number, .boolean: true
        case .array, .object, .map: false
        }
    }

    /// "an integer", "a string".
    public var articleName: String { (["array", "object", "integer"].contains(name) ? "an " : "a ") + name }
}

/// A literal value of a manifest (`default:`, `enum:`, a constraint's argument), typed by
/// its input's type.
public enum LiteralValue: Sendable, Equatable, Hashable {
    case string(String)
    case integer(Int64)
    case number(Double)
    case boolean(Bool)

    /// The value as JSON has it.
    public var json: JSONValue {
        switch self {
        case .string(let s): .string(s)
        case .integer(let i): .number(Double(i))
        case .number(let d): .number(d)
        case .boolean(let b): .bool(b)
        }
    }

    /// The value as a number, when it is one.
    public var number: Double? {
        switch self {
        case .integer(let i): Double(i)
        case .number(let d): d
        case .string, .boolean: nil
        }
    }

    /// The value as messages and documents write it: strings as they are, numbers as
    /// JSON writes them.
    public var text: String {
        switch self {
        case .string(let s): s
        case .integer(let i): String(i)
        case .number(let d): JSONNumber.text(d)
        case .boolean(let b): b ? "true" : "false"
        }
    }
}

/// Where an input goes in the provider's request.
public enum InputPlacement: String, Sendable, CaseIterable {
    case path, query, body, header
}

/// How an array input goes in the query (`style:`).
public enum QueryArrayStyle: String, Sendable, CaseIterable {
    /// `k=a&k=b` (OpenAPI's `form` with `explode: true`, its default).
    case repeated
    /// `k=a,b` (OpenAPI's `form` with `explode: false`).
    case comma
}

/// How a tool's body inputs are written (`encoding:`).
public enum BodyEncoding: String, Sendable, CaseIterable {
    /// `application/json`.
    case json
    /// `application/x-www-form-urlencoded`, nested objects and arrays as `a[b]=…`, `a[]=…`
    /// (Stripe's convention, Rails' and PHP's).
    case form
}

public enum HTTPMethod: String, Sendable, CaseIterable {
    case GET, POST, PUT, PATCH, DELETE

    /// Safe to send twice: only these are retried.
    public var isIdempotent: Bool { self == .GET || self == .PUT || self == .DELETE }

    /// Whether the request has a body (GET and DELETE have none).
    public var carriesBody: Bool { self != .GET && self != .DELETE }

    /// Where an input goes when its manifest does not say (and the endpoint does not name
    /// it): the query of a GET or DELETE, else the body.
    public var defaultInputPlacement: InputPlacement { carriesBody ? .body : .query }
}
