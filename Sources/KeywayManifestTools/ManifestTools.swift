import Foundation
import KeywayEmit
import KeywayModel
import KeywayRuntime

/// Tools built at run time from validated manifests, for a process that cannot compile
/// the generated Swift (`keyway mcp`): each standard tool becomes a `DescribedTool` with
/// the JSON Schema `keyway tools --format json` prints and input checks equivalent to the
/// generated `Input`'s decoding and `validate()`: the same fields refused, in the same
/// order, for the same reasons.
public enum ManifestTools {
    public struct Described: Sendable {
        /// Every tool with `request: standard`, sorted by name.
        public var tools: [DescribedTool]
        /// Tools with `request: custom` (sorted by name): their request is built by
        /// hand-written Swift, which only a compiled registry has.
        public var custom: [String]
    }

    public static func describe(_ catalog: Catalog) -> Described {
        // The emitters' schemas, exactly as `keyway tools --format json` prints them.
        var schemas: [String: KeywayRuntime.JSONValue] = [:]
        if case .array(let entries)? = try? KeywayRuntime.JSONValue(json: Data(catalog.toolsJSON.utf8)) {
            for entry in entries {
                if case .string(let name)? = entry["name"], let schema = entry["input_schema"] { schemas[name] = schema }
            }
        }
        var tools: [DescribedTool] = []
        var custom: [String] = []
        for connector in catalog.connectors {
            for tool in connector.tools {
                let name = connector.slug + "_" + tool.name
                if tool.request == .custom {
                    custom.append(name)
                    continue
                }
                let schema = schemas[name] ?? .object([:])
                let checker = InputChecker(properties: tool.inputs.map { NamedSchema(name: $0.name, schema: $0.schema) }, schema: schema)
                tools.append(DescribedTool(
                    qualifiedName: name, description: tool.description, method: KeywayRuntime.HTTPMethod(rawValue: tool.method.rawValue)!,
                    endpoint: tool.endpoint, scopes: tool.scopes, providerConfigKey: connector.providerKey, connector: connector.slug,
                    inputSchema: schema,
                    inputLocations: Dictionary(tool.inputs.map { ($0.name, KeywayRuntime.InputLocation(rawValue: $0.location.rawValue)!) }, uniquingKeysWith: { a, _ in a }),
                    inputWireNames: Dictionary(tool.inputs.compactMap { input in input.wire.map { (input.name, $0) } }, uniquingKeysWith: { a, _ in a }),
                    bodyEncoding: tool.encoding == .form ? .form : .json,
                    queryArrayStyles: Dictionary(tool.inputs.filter { $0.style == .comma }.map { ($0.name, .comma) }, uniquingKeysWith: { a, _ in a }),
                    checkInput: { data throws(ToolFailure) in try checker.check(data) }))
            }
        }
        return Described(tools: tools.sorted { $0.qualifiedName < $1.qualifiedName }, custom: custom.sorted())
    }
}

/// A generated `Input`'s decoding (`JSONDecoder` on a synthesized `Codable` struct) and
/// `validate()` (`ToolsEmitter.checks`), on JSON.
struct InputChecker: Sendable {
    typealias JSON = KeywayRuntime.JSONValue
    let properties: [NamedSchema]
    let schema: JSON

    enum Key {
        case name(String)
        case index(Int)
    }

    func check(_ data: Data) throws(ToolFailure) -> JSON {
        let value: JSON
        do {
            value = try JSON(json: data.isEmpty ? Data("{}".utf8) : data)
        } catch {
            throw .invalidInput(field: "", reason: "the arguments are not a JSON object")
        }
        if let field = ToolExecutor.nonIntegerField(in: value, schema: schema) { throw .invalidInput(field: field, reason: "must be an integer") }
        // A struct without properties decodes from any JSON value: it reads nothing.
        if properties.isEmpty { return .object([:]) }
        guard case .object(let fields) = value else {
            throw .invalidInput(field: "", reason: value == .null ? "must be an object, not null" : "must be an object")
        }
        let input = try decodeObject(fields, properties, path: [])
        for property in properties {
            try validate(input[property.name], property.schema, field: property.name)
        }
        return .object(input)
    }

    /// `ToolExecutor.path`: keys joined by dots, indices in brackets.
    static func text(_ path: [Key]) -> String {
        path.map { key in
            switch key {
            case .name(let name): name
            case .index(let i): "[\(i)]"
            }
        }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }

    /// `ToolExecutor.describe` of the Swift type a schema is generated as.
    static func describe(_ schema: InputSchema) -> String {
        switch schema.type {
        case .string: "a string"
        case .integer: "an integer"
        case .number: "a number"
        case .boolean: "true or false"
        case .array: "a list"
        case .object, .map: "an object"
        }
    }

    /// A struct's properties, in declaration (manifest) order: a missing required one
    /// is `keyNotFound`, a null one `valueNotFound`, an absent or null optional one is
    /// left out; undeclared keys are ignored, as `Codable` does.
    func decodeObject(_ fields: [String: JSON], _ properties: [NamedSchema], path: [Key]) throws(ToolFailure) -> [String: JSON] {
        var out: [String: JSON] = [:]
        for property in properties {
            let at = path + [.name(property.name)]
            guard let value = fields[property.name], value != .null else {
                if property.schema.optional { continue }
                if fields[property.name] == nil { throw .invalidInput(field: Self.text(at), reason: "is required") }
                throw .invalidInput(field: Self.text(at), reason: "must be \(Self.describe(property.schema)), not null")
            }
            out[property.name] = try decode(value, property.schema, path: at)
        }
        return out
    }

    func decode(_ value: JSON, _ schema: InputSchema, path: [Key]) throws(ToolFailure) -> JSON {
        let mismatch = ToolFailure.invalidInput(field: Self.text(path), reason: "must be \(Self.describe(schema))")
        switch (schema.type, value) {
        case (.string, .string), (.number, .number), (.boolean, .bool):
            return value
        case (.integer, .number(let d)):
            guard Int(exactly: d) != nil else { throw .invalidInput(field: Self.text(path), reason: "must be an integer") }
            return value
        case (.array(let items), .array(let elements)):
            var out: [JSON] = []
            for (i, element) in elements.enumerated() {
                let at = path + [.index(i)]
                if element == .null { throw .invalidInput(field: Self.text(at), reason: "must be \(Self.describe(items)), not null") }
                out.append(try decode(element, items, path: at))
            }
            return .array(out)
        case (.object(let properties), .object(let fields)):
            return .object(try decodeObject(fields, properties, path: path))
        case (.map(let values), .object(let fields)):
            var out: [String: JSON] = [:]
            for key in fields.keys.sorted() {
                let at = path + [.name(key)]
                if fields[key] == .null { throw .invalidInput(field: Self.text(at), reason: "must be \(Self.describe(values)), not null") }
                out[key] = try decode(fields[key]!, values, path: at)
            }
            return .object(out)
        default:
            throw mismatch
        }
    }

    /// The checks `ToolsEmitter.checks` generates for one field, in its order: format,
    /// length, pattern; range; item count, then each item; map values; a nested object's
    /// own checks; allowed values last.
    func validate(_ value: JSON?, _ schema: InputSchema, field: String) throws(ToolFailure) {
        let b = schema.bounds
        switch schema.type {
        case .string(let format):
            let s: String? = if case .string(let s)? = value { s } else { nil }
            switch format {
            case .email?: try InputCheck.email(s, field: field)
            case .dateTime?: try InputCheck.dateTime(s, field: field)
            case .date?: try InputCheck.date(s, field: field)
            case .uri?: try InputCheck.uri(s, field: field)
            case nil: break
            }
            if b.minLength != nil || b.maxLength != nil { try InputCheck.length(s, min: b.minLength, max: b.maxLength, field: field) }
            if let pattern = b.pattern { try InputCheck.pattern(s, pattern, field: field) }
            if let allowed = schema.allowed {
                try InputCheck.oneOf(s, allowed.compactMap { if case .string(let a) = $0 { a } else { nil } }, field: field)
            }
        case .integer:
            let i: Int? = if case .number(let d)? = value { Int(exactly: d) } else { nil }
            if b.minimum != nil || b.maximum != nil { try InputCheck.range(i, min: b.minimum, max: b.maximum, field: field) }
            if let allowed = schema.allowed {
                try InputCheck.oneOf(i, allowed.compactMap { if case .integer(let a) = $0 { Int(a) } else { nil } }, field: field)
            }
        case .number:
            let d: Double? = if case .number(let d)? = value { d } else { nil }
            if b.minimum != nil || b.maximum != nil { try InputCheck.range(d, min: b.minimum, max: b.maximum, field: field) }
            if let allowed = schema.allowed {
                try InputCheck.oneOf(d, allowed.compactMap {
                    switch $0 {
                    case .integer(let a): Double(a)
                    case .number(let a): a
                    default: nil
                    }
                }, field: field)
            }
        case .boolean:
            if let allowed = schema.allowed {
                let flag: Bool? = if case .bool(let f)? = value { f } else { nil }
                try InputCheck.oneOf(flag, allowed.compactMap { if case .boolean(let a) = $0 { a } else { nil } }, field: field)
            }
        case .array(let items):
            let elements: [JSON]? = if case .array(let e)? = value { e } else { nil }
            if b.minLength != nil || b.maxLength != nil { try InputCheck.count(elements?.count, min: b.minLength, max: b.maxLength, field: field) }
            for element in elements ?? [] { try validate(element, items, field: field + "[]") }
        case .map(let values):
            if case .object(let fields)? = value {
                for key in fields.keys.sorted() { try validate(fields[key], values, field: field + ".*") }
            }
        case .object(let properties):
            if case .object(let fields)? = value {
                for property in properties { try validate(fields[property.name], property.schema, field: field + "." + property.name) }
            }
        }
    }
}
