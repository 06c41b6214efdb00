import KeywayModel

/// A JSON value with ordered keys, so that both renderings are deterministic.
enum OrderedJSON: Equatable {
    case string(String)
    case integer(Int64)
    case number(Double)
    case bool(Bool)
    case array([OrderedJSON])
    case object([(String, OrderedJSON)])

    static func == (a: OrderedJSON, b: OrderedJSON) -> Bool { a.json(indent: nil) == b.json(indent: nil) }

    /// JSON text; `indent` nil for one line.
    func json(indent: Int? = 0) -> String {
        var out: [UInt8] = []
        writeJSON(into: &out, indent: indent)
        return String(decoding: out, as: UTF8.self)
    }

    // Both renderings write UTF-8 bytes into one buffer: appending to a String piece by
    // piece costs more than the text itself (a schema is most of a tools file).

    private func writeJSON(into out: inout [UInt8], indent: Int?) {
        switch self {
        case .string(let s): Literal.appendJSON(s, to: &out)
        case .integer(let i): out.appendUTF8(String(i))
        case .number(let d): out.appendUTF8(d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d))
        case .bool(let b): out.appendUTF8(b ? "true" : "false")
        case .array(let items):
            if items.isEmpty { out.appendUTF8("[]"); return }
            out.append(UInt8(ascii: "["))
            for (n, item) in items.enumerated() {
                Self.separate(&out, first: n == 0, indent: indent)
                item.writeJSON(into: &out, indent: indent.map { $0 + 1 })
            }
            Self.close(&out, indent: indent)
            out.append(UInt8(ascii: "]"))
        case .object(let pairs):
            if pairs.isEmpty { out.appendUTF8("{}"); return }
            out.append(UInt8(ascii: "{"))
            for (n, (key, value)) in pairs.enumerated() {
                Self.separate(&out, first: n == 0, indent: indent)
                Literal.appendJSON(key, to: &out)
                out.appendUTF8(": ")
                value.writeJSON(into: &out, indent: indent.map { $0 + 1 })
            }
            Self.close(&out, indent: indent)
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Before an element: `,` after the previous one, then a new line and the element's
    /// indentation (or one space, on one line).
    private static func separate(_ out: inout [UInt8], first: Bool, indent: Int?) {
        if !first { out.append(UInt8(ascii: ",")) }
        if let indent {
            out.append(UInt8(ascii: "\n"))
            pad(&out, indent + 1, width: 2)
        } else if !first {
            out.append(UInt8(ascii: " "))
        }
    }

    /// Indentation: `count` levels of `width` spaces.
    private static func pad(_ out: inout [UInt8], _ count: Int, width: Int) {
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: count * width))
    }

    private static func close(_ out: inout [UInt8], indent: Int?) {
        guard let indent else { return }
        out.append(UInt8(ascii: "\n"))
        pad(&out, indent, width: 2)
    }

    /// A `KeywayRuntime.JSONValue` expression (the runtime's value type, not the model's `LiteralValue`).
    func swift(indent: Int) -> String {
        var out: [UInt8] = []
        writeSwift(into: &out, indent: indent)
        return String(decoding: out, as: UTF8.self)
    }

    private func writeSwift(into out: inout [UInt8], indent: Int) {
        switch self {
        case .string(let s):
            out.appendUTF8(".string(")
            Literal.appendSwift(s, to: &out)
            out.append(UInt8(ascii: ")"))
        case .integer(let i): out.appendUTF8(".number(\(i))")
        case .number(let d): out.appendUTF8(".number(\(d))")
        case .bool(let b): out.appendUTF8(b ? ".bool(true)" : ".bool(false)")
        case .array(let items):
            if items.isEmpty { out.appendUTF8(".array([])"); return }
            out.appendUTF8(".array([\n")
            for item in items {
                Self.pad(&out, indent + 1, width: 4)
                item.writeSwift(into: &out, indent: indent + 1)
                out.appendUTF8(",\n")
            }
            Self.pad(&out, indent, width: 4)
            out.appendUTF8("])")
        case .object(let pairs):
            if pairs.isEmpty { out.appendUTF8(".object([:])"); return }
            out.appendUTF8(".object([\n")
            for (key, value) in pairs {
                Self.pad(&out, indent + 1, width: 4)
                Literal.appendSwift(key, to: &out)
                out.appendUTF8(": ")
                value.writeSwift(into: &out, indent: indent + 1)
                out.appendUTF8(",\n")
            }
            Self.pad(&out, indent, width: 4)
            out.appendUTF8("])")
        }
    }
}

/// The JSON Schema (draft 2020-12) of a tool's input, as model APIs take it.
enum JSONSchema {
    static func input(of tool: Tool) -> OrderedJSON {
        object(tool.inputs.map { NamedSchema(name: $0.name, schema: $0.schema) }, description: nil)
    }

    static func object(_ properties: [NamedSchema], description: String?) -> OrderedJSON {
        var pairs: [(String, OrderedJSON)] = [("type", .string("object"))]
        if let description { pairs.append(("description", .string(description))) }
        pairs.append(("properties", .object(properties.map { ($0.name, schema($0.schema)) })))
        let required = properties.filter { !$0.schema.optional }.map { OrderedJSON.string($0.name) }
        if !required.isEmpty { pairs.append(("required", .array(required))) }
        pairs.append(("additionalProperties", .bool(false)))
        return .object(pairs)
    }

    static func schema(_ s: InputSchema) -> OrderedJSON {
        if case .object(let properties) = s.type { return object(properties, description: s.description) }
        var pairs: [(String, OrderedJSON)] = [("type", .string(s.type.name))]
        if let description = s.description { pairs.append(("description", .string(description))) }
        if case .string(let format?) = s.type { pairs.append(("format", .string(format.rawValue))) }
        if case .array(let items) = s.type { pairs.append(("items", schema(items))) }
        if case .map(let values) = s.type { pairs.append(("additionalProperties", schema(values))) }
        let b = s.bounds
        if let v = b.minimum { pairs.append(("minimum", number(v))) }
        if let v = b.maximum { pairs.append(("maximum", number(v))) }
        let isArray = if case .array = s.type { true } else { false }
        if let v = b.minLength { pairs.append((isArray ? "minItems" : "minLength", .integer(Int64(v)))) }
        if let v = b.maxLength { pairs.append((isArray ? "maxItems" : "maxLength", .integer(Int64(v)))) }
        if let v = b.pattern { pairs.append(("pattern", .string(v))) }
        if let allowed = s.allowed { pairs.append(("enum", .array(allowed.map(value)))) }
        if let d = s.defaultValue { pairs.append(("default", value(d))) }
        return .object(pairs)
    }

    static func number(_ d: Double) -> OrderedJSON { d.rounded() == d && abs(d) < 1e15 ? .integer(Int64(d)) : .number(d) }

    static func value(_ v: LiteralValue) -> OrderedJSON {
        switch v {
        case .string(let s): .string(s)
        case .integer(let i): .integer(i)
        case .number(let d): .number(d)
        case .boolean(let b): .bool(b)
        }
    }

    /// `keyway tools --format json`: every tool as model APIs take it, sorted by name.
    public static func toolsDocument(_ catalog: Catalog) -> String {
        let tools = catalog.connectors.flatMap { c in c.tools.map { (qualifiedName(c, $0), $0) } }.sorted { $0.0 < $1.0 }
        let array = OrderedJSON.array(tools.map { name, tool in
            .object([("name", .string(name)), ("description", .string(tool.description)), ("input_schema", input(of: tool))])
        })
        return array.json() + "\n"
    }

    /// The name a model calls a tool by: `<connector slug>_<tool name>`.
    static func qualifiedName(_ connector: Connector, _ tool: Tool) -> String { connector.modelName(of: tool) }
}

extension Catalog {
    /// `keyway tools --format json`.
    public var toolsJSON: String { JSONSchema.toolsDocument(self) }
}
