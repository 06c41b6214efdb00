/// The Swift the tools emitter writes besides literals, as data: type references,
/// expressions and the statements of a tool's `validate()`. Each renders itself here and
/// nowhere else; templates receive only the rendered text (leaves), and every string
/// inside reaches the code through `Literal.swift`.
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

indirect enum SwiftExpression: Equatable {
    /// A variable or a property path the emitter made from escaped identifiers (`self.name`, `item1`).
    case variable(String)
    /// `base.member`, or `base?.member`.
    case member(SwiftExpression, String, optionalChaining: Bool)
    /// `base ?? []`, or `base ?? [:]`.
    case orEmpty(SwiftExpression, dictionary: Bool)
    case parenthesized(SwiftExpression)
    /// A manifest string, through `Literal.swift`.
    case string(String)
    /// An integer bound, or `nil`.
    case int(Int?)
    /// An integer value of the manifest.
    case integer(Int64)
    /// A number bound, or `nil`: whole numbers as `3.0`, the rest as Swift prints them.
    case bound(Double?)
    case double(Double)
    case bool(Bool)
    case array([SwiftExpression])

    var rendered: String {
        switch self {
        case .variable(let name): name
        case .member(let base, let member, let optional): base.rendered + (optional ? "?." : ".") + member
        case .orEmpty(let base, let dictionary): base.rendered + (dictionary ? " ?? [:]" : " ?? []")
        case .parenthesized(let inner): "(" + inner.rendered + ")"
        case .string(let s): Literal.swift(s)
        case .int(let i): i.map(String.init) ?? "nil"
        case .integer(let i): String(i)
        case .bound(let d): d.map { d in d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) + ".0" : String(d) } ?? "nil"
        case .double(let d): String(d)
        case .bool(let b): String(b)
        case .array(let items): "[" + items.map(\.rendered).joined(separator: ", ") + "]"
        }
    }
}

/// A statement of a generated `validate()`.
indirect enum SwiftCheck: Equatable {
    /// `try KeywayRuntime.InputCheck.<name>(<arguments>)`; a nil label is an unlabelled argument.
    case inputCheck(String, [(label: String?, value: SwiftExpression)])
    /// `try value.validate()`, or `try value?.validate()`.
    case validate(SwiftExpression, optional: Bool)
    /// `for variable in sequence { body }`.
    case forEach(String, in: SwiftExpression, body: [SwiftCheck])

    /// The statement's lines, the body of a loop indented by four spaces.
    var lines: [String] {
        switch self {
        case .inputCheck(let name, let arguments):
            let list = arguments.map { ($0.label.map { $0 + ": " } ?? "") + $0.value.rendered }.joined(separator: ", ")
            return ["try KeywayRuntime.InputCheck.\(name)(\(list))"]
        case .validate(let value, let optional):
            return ["try \(value.rendered)\(optional ? "?" : "").validate()"]
        case .forEach(let variable, let sequence, let body):
            return ["for \(variable) in \(sequence.rendered) {"] + body.flatMap(\.lines).map { "    " + $0 } + ["}"]
        }
    }

    static func == (a: SwiftCheck, b: SwiftCheck) -> Bool { a.lines == b.lines }
}
