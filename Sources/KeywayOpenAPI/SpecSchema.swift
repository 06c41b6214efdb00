import Foundation
import KeywayContract
import KeywayModel
import OpenAPIKit

/// A JSON Schema of the document reduced to what keyway's inputs can say: one type,
/// its constraints, and the `anyOf`/`oneOf` branches keyway must pick from.
struct SpecSchema {
    indirect enum Shape {
        case string(format: String?)
        case integer
        case number
        case boolean
        case array(items: SpecSchema?)
        /// `additional`: nil when the document allows no other keys (or says nothing and
        /// lists properties), `.some(nil)` when any value is allowed.
        case object(properties: [(name: String, schema: SpecSchema)], required: [String], additional: SpecSchema??)
        /// `anyOf`/`oneOf` of several shapes (`null` branches dropped).
        case choice([SpecSchema], keyword: String)
        /// No type: anything goes.
        case any
        case null
        /// A shape keyway cannot read (`not`, `allOf` of different types).
        case unsupported(String)
    }

    var shape: Shape
    var allowed: [AnyCodable]?
    var defaultValue: AnyCodable?
    var description: String?
    var readOnly = false
    /// Sent in requests only (`writeOnly`): never in an answer.
    var writeOnly = false
    /// `null` is allowed too (3.0's `nullable`, 3.1's `type: [x, "null"]`, a `null` branch).
    var nullable = false
    /// The constraints of `Constraint`'s table the document states, in its order.
    var constraints: [Constraint] = []
    /// The bounds among them the document writes as exclusive (`exclusiveMinimum`).
    var exclusive: Set<Constraint.Key> = []

    init(shape: Shape) { self.shape = shape }

    /// Deep enough for any real request schema; a deeper one is not read further.
    static let maximumDepth = 32

    init(_ schema: DereferencedJSONSchema, depth: Int = 0) {
        guard depth < Self.maximumDepth else {
            self.init(shape: .unsupported("nested deeper than \(Self.maximumDepth) levels"))
            return
        }
        switch schema {
        case .null: self.init(shape: .null)
        case .boolean(let core):
            self.init(shape: .boolean)
            take(core)
        case .number(let core, let numeric):
            self.init(shape: .number)
            take(core)
            bound(.minimum, numeric.minimum.map { ($0.value, $0.exclusive) })
            bound(.maximum, numeric.maximum.map { ($0.value, $0.exclusive) })
            state(numeric.multipleOf.map(Constraint.multipleOf))
        case .integer(let core, let integer):
            self.init(shape: .integer)
            take(core)
            bound(.minimum, integer.minimum.map { (Double($0.value), $0.exclusive) })
            bound(.maximum, integer.maximum.map { (Double($0.value), $0.exclusive) })
            state(integer.multipleOf.map { .multipleOf(Double($0)) })
        case .string(let core, let string):
            let format = core.formatString.flatMap { $0.isEmpty ? nil : $0 }
            self.init(shape: .string(format: format))
            take(core)
            state(string.minLength > 0 ? .minLength(string.minLength) : nil)
            state(string.maxLength.map(Constraint.maxLength))
            state(string.pattern.map(Constraint.pattern))
        case .array(let core, let array):
            self.init(shape: .array(items: array.items.map { SpecSchema($0, depth: depth + 1) }))
            take(core)
            state(array.minItems > 0 ? .minLength(array.minItems) : nil)
            state(array.maxItems.map(Constraint.maxLength))
        case .object(let core, let object):
            let properties = object.properties.map { (name: $0.key, schema: SpecSchema($0.value, depth: depth + 1)) }
            let additional: SpecSchema??
            switch object.additionalProperties {
            case .a(true)?: additional = .some(nil)
            case .a(false)?: additional = nil
            case .b(let values)?: additional = .some(SpecSchema(values, depth: depth + 1))
            case nil: additional = properties.isEmpty ? .some(nil) : nil
            }
            self.init(shape: .object(properties: properties, required: object.requiredProperties, additional: additional))
            take(core)
        case .all(of: let schemas, core: let core):
            self = Self.merged(schemas.map { SpecSchema($0, depth: depth + 1) })
            take(core)
        case .one(of: let schemas, core: let core), .any(of: let schemas, core: let core):
            let keyword = if case .one = schema { "oneOf" } else { "anyOf" }
            let all = schemas.map { SpecSchema($0, depth: depth + 1) }
            let branches = all.filter { if case .null = $0.shape { false } else { true } }
            if branches.count == 1 { self = branches[0] } else { self.init(shape: .choice(branches, keyword: keyword)) }
            if branches.count < all.count { nullable = true }
            take(core)
        case .not(_, core: let core):
            self.init(shape: .unsupported("'not'"))
            take(core)
        case .fragment(let core):
            // No type, but `const` or `enum` (a oneOf's discriminator, often): the type of
            // the values, when they share one.
            let values = core.allowedValues?.map(\.value).filter { !($0 is NSNull) } ?? []
            if !values.isEmpty, values.allSatisfy({ $0 is String }) {
                self.init(shape: .string(format: nil))
            } else if !values.isEmpty, values.allSatisfy({ $0 is Bool }) {
                self.init(shape: .boolean)
            } else if !values.isEmpty, values.allSatisfy({ $0 is Int }) {
                self.init(shape: .integer)
            } else {
                self.init(shape: .any)
            }
            take(core)
        }
    }

    private mutating func state(_ constraint: Constraint?) {
        if let constraint { constraints.append(constraint) }
    }

    private mutating func bound(_ key: Constraint.Key, _ bound: (value: Double, exclusive: Bool)?) {
        guard let bound, let constraint = Constraint(key, .number(bound.value)) else { return }
        constraints.append(constraint)
        if bound.exclusive { exclusive.insert(key) }
    }

    /// The document's constraint of `key`, if it states one.
    func constraint(_ key: Constraint.Key) -> Constraint? { constraints.first { $0.key == key } }

    /// The constraints every schema kind shares; a branch's own win over its parent's.
    private mutating func take<Format>(_ core: JSONSchema.CoreContext<Format>) {
        allowed = allowed ?? core.allowedValues?.filter { !($0.value is NSNull) }
        defaultValue = defaultValue ?? core.defaultValue
        description = description ?? core.description
        readOnly = readOnly || core.readOnly
        writeOnly = writeOnly || core.writeOnly
        nullable = nullable || core.nullable
    }

    /// `allOf`: objects merge (properties, required keys); one typed branch among untyped
    /// ones is that branch; anything else is a shape keyway does not read.
    static func merged(_ parts: [SpecSchema]) -> SpecSchema {
        let typed = parts.filter { if case .any = $0.shape { false } else { true } }
        if typed.count == 1 { return typed[0] }
        var properties: [(name: String, schema: SpecSchema)] = []
        var required: [String] = []
        var additional: SpecSchema?? = .some(nil)
        for part in typed {
            guard case .object(let p, let r, let a) = part.shape else { return SpecSchema(shape: .unsupported("'allOf' of different types")) }
            for property in p where !properties.contains(where: { $0.name == property.name }) { properties.append(property) }
            required += r.filter { !required.contains($0) }
            if !p.isEmpty || a == nil { additional = nil }
        }
        var merged = SpecSchema(shape: typed.isEmpty ? .any : .object(properties: properties, required: required, additional: additional))
        merged.description = typed.first?.description
        return merged
    }

    /// The document's word for the shape.
    var typeName: String {
        switch shape {
        case .string: "string"
        case .integer: "integer"
        case .number: "number"
        case .boolean: "boolean"
        case .array: "array"
        case .object: "object"
        case .choice(let branches, _): branches.map(\.typeName).joined(separator: " or ")
        case .any: "any value"
        case .null: "null"
        case .unsupported(let why): why
        }
    }

    var allowedTexts: [String]? { allowed?.compactMap { Self.text($0.value) } }

    /// A document literal's text, so that `10`, `10.0` and a YAML `"10"` typed by the
    /// decoder compare as the provider would read them.
    static func text(_ value: Any) -> String? {
        switch value {
        case let b as Bool: b ? "true" : "false"
        case let i as Int: String(i)
        case let u as UInt: String(u)
        case let d as Double: JSONNumber.text(d)
        case let s as String: s
        default: nil
        }
    }
}
