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

    static func list(_ parameters: [SwiftParameter]) -> String {
        var out = ""
        for (i, parameter) in parameters.enumerated() {
            if i > 0 { out += ", " }
            out += parameter.rendered
        }
        return out
    }
}

/// An `InputContract` as a Swift literal: the generated tool's `inputContract`, one field
/// a line (a nested object's properties on lines of their own), every string through
/// `Literal.swift`, every number as `JSONNumber` writes it. The literal builds the same
/// value the generator read: one declaration, read by the runtime as it is.
enum ContractLiteral {
    /// An `OutputContract`'s fields, as `render(_:indent:)` writes an input's.
    static func render(output fields: [NamedSchema], indent: Int) -> String {
        if fields.isEmpty { return "[]" }
        var out = "[\n"
        for field in fields {
            initializer(field.name, field.schema, indent: indent, into: &out)
            out += "),\n"
        }
        pad(indent - 1, &out)
        out += "]"
        return out
    }

    /// `[ … ]`, its lines indented by `indent` levels of four spaces (the closing bracket
    /// one level less).
    static func render(_ fields: [InputField], indent: Int) -> String {
        if fields.isEmpty { return "[]" }
        // One string appended to (the literal of a tool is built for every tool of every
        // connector: no array of arguments per field).
        var out = "[\n"
        for field in fields {
            initializer(field.name, field.schema, indent: indent, into: &out)
            out += ", in: ."
            out += field.placement.rawValue
            if let wire = field.wire {
                out += ", wire: "
                out += Literal.swift(wire)
            }
            if let style = field.style {
                out += ", style: ."
                out += style.rawValue
            }
            out += "),\n"
        }
        pad(indent - 1, &out)
        out += "]"
        return out
    }

    /// `.init("name", <arguments>` on a line of its own (the caller closes it).
    private static func initializer(_ name: String, _ schema: ValueSchema, indent: Int, into out: inout String) {
        pad(indent, &out)
        out += ".init("
        out += Literal.swift(name)
        out += ", "
        arguments(schema, indent: indent, into: &out)
    }

    /// The schema's parts as `InputField`'s, `NamedSchema`'s and `ValueSchema`'s
    /// initializers take them, separated by commas: the type, then only what differs from
    /// the defaults.
    static func arguments(_ schema: ValueSchema, indent: Int, into out: inout String) {
        type(schema.type, indent: indent, into: &out)
        if let d = schema.description {
            out += ", description: "
            out += Literal.swift(d)
        }
        if schema.optional { out += ", optional: true" }
        if schema.nullable { out += ", nullable: true" }
        if let d = schema.defaultValue {
            out += ", default: "
            out += literal(d)
        }
        if let allowed = schema.allowed {
            out += ", enum: ["
            for (i, value) in allowed.enumerated() {
                if i > 0 { out += ", " }
                out += literal(value)
            }
            out += "]"
        }
        if !schema.constraints.isEmpty {
            out += ", constraints: ["
            for (i, c) in schema.constraints.enumerated() {
                if i > 0 { out += ", " }
                out += constraint(c)
            }
            out += "]"
        }
    }

    static func type(_ type: ValueType, indent: Int, into out: inout String) {
        switch type {
        case .string(let format):
            out += ".string("
            if let format {
                out += "format: ."
                out += formatCase(format)
            }
            out += ")"
        case .integer: out += ".integer"
        case .number: out += ".number"
        case .boolean: out += ".boolean"
        case .array(let items):
            out += ".array(items: .init("
            arguments(items, indent: indent, into: &out)
            out += "))"
        case .map(let values):
            out += ".map(values: .init("
            arguments(values, indent: indent, into: &out)
            out += "))"
        case .object(let properties):
            if properties.isEmpty {
                out += ".object(properties: [])"
            } else {
                out += ".object(properties: [\n"
                for property in properties {
                    initializer(property.name, property.schema, indent: indent + 1, into: &out)
                    out += "),\n"
                }
                pad(indent, &out)
                out += "])"
            }
        }
    }

    /// A constraint as its case: `.minLength(3)` (the case is the manifest key in
    /// lowerCamel, the argument a number, a count or a string).
    static func constraint(_ c: Constraint) -> String {
        "." + caseNames[c.key]! + "(" + argument(c.argument) + ")"
    }

    /// Each constraint key's case (its manifest name in lowerCamel), made once.
    private static let caseNames = Dictionary(uniqueKeysWithValues: Constraint.Key.allCases.map { ($0, SwiftIdentifier.lowerCamel($0.rawValue)) })

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

    static func formatCase(_ format: StringFormat) -> String { formatCases[format]! }

    /// Each string format's case (its name in lowerCamel), made once.
    private static let formatCases = Dictionary(uniqueKeysWithValues: StringFormat.allCases.map { ($0, SwiftIdentifier.lowerCamel($0.rawValue)) })

    static func pad(_ levels: Int, _ out: inout String) {
        out += levels < pads.count ? pads[max(0, levels)] : String(repeating: " ", count: 4 * levels)
    }

    /// The indentation of the first levels, made once.
    private static let pads = (0..<16).map { String(repeating: " ", count: 4 * $0) }
}
