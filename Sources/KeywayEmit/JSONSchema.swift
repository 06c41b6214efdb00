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
        var out = ""
        writeJSON(into: &out, indent: indent)
        return out
    }

    private func writeJSON(into out: inout String, indent: Int?) {
        switch self {
        case .string(let s): out += Literal.json(s)
        case .integer(let i): out += String(i)
        case .number(let d): out += d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .bool(let b): out += b ? "true" : "false"
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (n, item) in items.enumerated() {
                Self.separate(&out, first: n == 0, indent: indent)
                item.writeJSON(into: &out, indent: indent.map { $0 + 1 })
            }
            Self.close(&out, indent: indent)
            out += "]"
        case .object(let pairs):
            if pairs.isEmpty { out += "{}"; return }
            out += "{"
            for (n, (key, value)) in pairs.enumerated() {
                Self.separate(&out, first: n == 0, indent: indent)
                out += Literal.json(key)
                out += ": "
                value.writeJSON(into: &out, indent: indent.map { $0 + 1 })
            }
            Self.close(&out, indent: indent)
            out += "}"
        }
    }

    /// Before an element: `,` after the previous one, then a new line and the element's
    /// indentation (or one space, on one line).
    private static func separate(_ out: inout String, first: Bool, indent: Int?) {
        if !first { out += "," }
        if let indent {
            out += "\n"
            out += Self.pad(indent + 1, "  ")
        } else if !first {
            out += " "
        }
    }

    /// `unit` repeated `count` times (indentation), made once for the usual depths.
    private static let jsonPads = (0..<70).map { String(repeating: "  ", count: $0) }
    private static let swiftPads = (0..<70).map { String(repeating: "    ", count: $0) }

    private static func pad(_ count: Int, _ unit: String) -> String {
        let made = unit == "  " ? jsonPads : swiftPads
        return count < made.count ? made[count] : String(repeating: unit, count: count)
    }

    private static func close(_ out: inout String, indent: Int?) {
        guard let indent else { return }
        out += "\n"
        out += Self.pad(indent, "  ")
    }

    /// A `KeywayRuntime.JSONValue` expression (the runtime's value type, not the model's `LiteralValue`).
    func swift(indent: Int) -> String {
        var out = ""
        writeSwift(into: &out, indent: indent)
        return out
    }

    private func writeSwift(into out: inout String, indent: Int) {
        switch self {
        case .string(let s): out += ".string("; out += Literal.swift(s); out += ")"
        case .integer(let i): out += ".number(\(i))"
        case .number(let d): out += ".number(\(d))"
        case .bool(let b): out += b ? ".bool(true)" : ".bool(false)"
        case .array(let items):
            if items.isEmpty { out += ".array([])"; return }
            out += ".array([\n"
            let inner = Self.pad(indent + 1, "    ")
            for item in items {
                out += inner
                item.writeSwift(into: &out, indent: indent + 1)
                out += ",\n"
            }
            out += Self.pad(indent, "    ")
            out += "])"
        case .object(let pairs):
            if pairs.isEmpty { out += ".object([:])"; return }
            out += ".object([\n"
            let inner = Self.pad(indent + 1, "    ")
            for (key, value) in pairs {
                out += inner
                out += Literal.swift(key)
                out += ": "
                value.writeSwift(into: &out, indent: indent + 1)
                out += ",\n"
            }
            out += Self.pad(indent, "    ")
            out += "])"
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
