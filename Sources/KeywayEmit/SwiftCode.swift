import KeywayContract
import KeywayModel

/// The Swift the tools emitter writes besides literals, as data: type references, and
/// the input contract's literal. Each renders itself here and nowhere else; templates
/// receive only the rendered text (leaves), and every string inside reaches the code
/// through `Literal.swift`.
indirect enum SwiftType: Equatable {
    case string, int, double, bool
    case array(SwiftType)
    /// `[Swift.String: Value]`.
    case dictionary(SwiftType)
    /// A struct the emitter declares (an identifier it made).
    case named(String)
    case optional(SwiftType)

    var rendered: String {
        switch self {
        case .string: "Swift.String"
        case .int: "Swift.Int"
        case .double: "Swift.Double"
        case .bool: "Swift.Bool"
        case .array(let item): "[" + item.rendered + "]"
        case .dictionary(let value): "[Swift.String: " + value.rendered + "]"
        case .named(let name): name
        case .optional(let wrapped): wrapped.rendered + "?"
        }
    }

    var isOptional: Bool { if case .optional = self { true } else { false } }
}

/// A parameter of a memberwise `init`: `name: Type`, `= nil` when optional.
struct SwiftParameter: Equatable {
    var name: String
    var type: SwiftType

    var rendered: String { "\(name): \(type.rendered)\(type.isOptional ? " = nil" : "")" }

    static func list(_ parameters: [SwiftParameter]) -> String { parameters.map(\.rendered).joined(separator: ", ") }
}

/// An `InputContract` as a Swift literal: the generated tool's `inputContract`, one field
/// a line (a nested object's properties on lines of their own), every string through
/// `Literal.swift`, every number as `JSONNumber` writes it. The literal builds the same
/// value the generator read: one declaration, read by the runtime as it is.
enum ContractLiteral {
    /// `[ … ]`, its lines indented by `indent` levels of four spaces (the closing bracket
    /// one level less).
    /// An `OutputContract`'s fields, as `render(_:indent:)` writes an input's.
    static func render(output fields: [NamedSchema], indent: Int) -> String {
        if fields.isEmpty { return "[]" }
        return "[\n" + fields.map { pad(indent) + ".init(" + ([Literal.swift($0.name)] + schemaArguments($0.schema, indent: indent)).joined(separator: ", ") + "),\n" }.joined()
            + pad(indent - 1) + "]"
    }

    static func render(_ fields: [InputField], indent: Int) -> String {
        if fields.isEmpty { return "[]" }
        var out = "[\n"
        for field in fields {
            var arguments = [Literal.swift(field.name)] + schemaArguments(field.schema, indent: indent)
            arguments.append("in: ." + field.placement.rawValue)
            if let wire = field.wire { arguments.append("wire: " + Literal.swift(wire)) }
            if let style = field.style { arguments.append("style: ." + style.rawValue) }
            out += pad(indent) + ".init(" + arguments.joined(separator: ", ") + "),\n"
        }
        return out + pad(indent - 1) + "]"
    }

    /// The schema's parts as `InputField`'s, `NamedSchema`'s and `ValueSchema`'s
    /// initializers take them: the type, then only what differs from the defaults.
    static func schemaArguments(_ schema: ValueSchema, indent: Int) -> [String] {
        var arguments = [type(schema.type, indent: indent)]
        if let d = schema.description { arguments.append("description: " + Literal.swift(d)) }
        if schema.optional { arguments.append("optional: true") }
        if schema.nullable { arguments.append("nullable: true") }
        if let d = schema.defaultValue { arguments.append("default: " + literal(d)) }
        if let allowed = schema.allowed { arguments.append("enum: [" + allowed.map(literal).joined(separator: ", ") + "]") }
        if !schema.constraints.isEmpty {
            arguments.append("constraints: [" + schema.constraints.map(constraint).joined(separator: ", ") + "]")
        }
        return arguments
    }

    static func type(_ type: ValueType, indent: Int) -> String {
        switch type {
        case .string(let format): ".string(" + (format.map { "format: ." + formatCase($0) } ?? "") + ")"
        case .integer: ".integer"
        case .number: ".number"
        case .boolean: ".boolean"
        case .array(let items): ".array(items: .init(" + schemaArguments(items, indent: indent).joined(separator: ", ") + "))"
        case .map(let values): ".map(values: .init(" + schemaArguments(values, indent: indent).joined(separator: ", ") + "))"
        case .object(let properties):
            if properties.isEmpty { ".object(properties: [])" } else {
                ".object(properties: [\n" + properties.map { property in
                    pad(indent + 1) + ".init(" + ([Literal.swift(property.name)] + schemaArguments(property.schema, indent: indent + 1)).joined(separator: ", ") + "),\n"
                }.joined() + pad(indent) + "])"
            }
        }
    }

    /// A constraint as its case: `.minLength(3)` (the case is the manifest key in
    /// lowerCamel, the argument a number, a count or a string).
    static func constraint(_ c: Constraint) -> String {
        "." + SwiftIdentifier.lowerCamel(c.key.rawValue) + "(" + argument(c.argument) + ")"
    }

    static func argument(_ v: LiteralValue) -> String {
        switch v {
        case .string(let s): Literal.swift(s)
        case .integer(let i): String(i)
        case .number(let d): JSONNumber.text(d)
        case .boolean(let b): String(b)
        }
    }

    static func literal(_ v: LiteralValue) -> String {
        switch v {
        case .string(let s): ".string(" + Literal.swift(s) + ")"
        case .integer(let i): ".integer(" + String(i) + ")"
        case .number(let d): ".number(" + JSONNumber.text(d) + ")"
        case .boolean(let b): ".boolean(" + String(b) + ")"
        }
    }

    static func formatCase(_ format: StringFormat) -> String { SwiftIdentifier.lowerCamel(format.rawValue) }

    static func pad(_ levels: Int) -> String { String(repeating: " ", count: 4 * max(0, levels)) }
}
