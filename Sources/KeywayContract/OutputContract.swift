/// The contract of a tool's output (`output:` in its manifest): the fields of the JSON
/// object the provider answers with that the tool declares, each with its type, whether it
/// may be absent (`optional`) and whether it may be `null` (`nullable`). Declared once and
/// read by everything that needs it: the generated Swift's `Output` type and its literal,
/// `keyway mcp`, the JSON Schema (MCP's `outputSchema`), and the check that an answer
/// conforms (`mismatch(in:)`) before it is handed on as structured content.
public struct OutputContract: Sendable, Equatable, ExpressibleByArrayLiteral {
    /// In declaration (manifest) order.
    public var fields: [NamedSchema]

    public init(_ fields: [NamedSchema]) { self.fields = fields }
    public init(arrayLiteral fields: NamedSchema...) { self.fields = fields }

    /// The JSON Schema (draft 2020-12) of the output: an object whose declared fields are
    /// typed; objects stay open (providers send more than a tool declares).
    public var jsonSchema: JSONValue { orderedJSONSchema.value }

    /// `jsonSchema`, keys in the order written (as `InputContract.orderedJSONSchema`).
    public var orderedJSONSchema: OrderedJSON { JSONSchemaWriter(closed: false).object(fields, description: nil, nullable: false) }

    /// Where a provider's answer breaks the contract (the first place, fields in
    /// declaration order, depth first), or nil when it conforms: what a JSON Schema
    /// validator would refuse of `jsonSchema` (a `format` is an annotation, as JSON
    /// Schema 2020-12 has it, and not checked).
    public func mismatch(in answer: JSONValue) -> OutputMismatch? {
        guard case .object(let object) = answer else { return OutputMismatch(field: "", reason: "must be an object") }
        return Self.mismatch(object, fields, path: "")
    }

    private static func mismatch(_ object: [String: JSONValue], _ fields: [NamedSchema], path: String) -> OutputMismatch? {
        for field in fields {
            let at = path.isEmpty ? field.name : path + "." + field.name
            guard let value = object[field.name] else {
                if field.schema.optional { continue }
                return OutputMismatch(field: at, reason: "is missing")
            }
            if let found = mismatch(value, field.schema, path: at) { return found }
        }
        return nil
    }

    private static func mismatch(_ value: JSONValue, _ schema: ValueSchema, path: String) -> OutputMismatch? {
        if value == .null {
            return schema.nullable ? nil : OutputMismatch(field: path, reason: "is null (declare it nullable: true if the provider sends null)")
        }
        switch (schema.type, value) {
        case (.string, .string), (.number, .number), (.boolean, .bool):
            break
        case (.integer, .number(let d)):
            if d.rounded() != d { return OutputMismatch(field: path, reason: "must be an integer") }
        case (.array(let items), .array(let elements)):
            for (i, element) in elements.enumerated() {
                if let found = mismatch(element, items, path: path + "[\(i)]") { return found }
            }
        case (.object(let properties), .object(let object)):
            if let found = mismatch(object, properties, path: path) { return found }
        case (.map(let values), .object(let object)):
            for key in object.keys.sorted() {
                if let found = mismatch(object[key]!, values, path: path + "." + key) { return found }
            }
        default:
            return OutputMismatch(field: path, reason: "must be \(schema.type.articleName)")
        }
        if let allowed = schema.allowed, !allowed.contains(where: { $0.json == value }) {
            return OutputMismatch(field: path, reason: "must be one of \(allowed.map(\.text).joined(separator: ", "))")
        }
        return nil
    }
}

/// Where a provider's answer breaks a tool's output contract: the field (`data[0].email`,
/// "" for the whole answer) and how.
public struct OutputMismatch: Error, Sendable, Equatable {
    public var field: String
    public var reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }
}
