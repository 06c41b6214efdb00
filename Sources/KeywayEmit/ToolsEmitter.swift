import KeywayModel

/// `Tools/<Connector>.swift`, one per connector: a type per tool (name,
/// description, method, endpoint, scopes, a Codable `Input`, its JSON Schema), and
/// `Tools/AllTools.swift`, the registry of every tool. In the single-file layout, the
/// same text in one `Tools.swift` (connectors in order, then the registry).
public struct ToolsEmitter: Emitter {
    public static let template = "Tools.swift.mustache"
    public static let registryTemplate = "AllTools.swift.mustache"
    /// The file of the single-file layout.
    public static let singleFileName = "Tools.swift"

    public var layout: SwiftLayout

    public init(layout: SwiftLayout = .perConnector) {
        self.layout = layout
    }

    struct View {
        struct Field {
            var property: String
            var jsonName: String
            var swiftType: String
            var doc: String
        }
        struct Struct {
            var structName: String
            var structConformance: String
            var fields: [Field]
            var hasFields: Bool
            var initParameters: String
            var checks: [String]
        }
        struct ToolView {
            var typeName: String
            var qualifiedName: String
            var name: String
            var description: String
            var descriptionComment: String
            var methodName: String
            var endpoint: String
            var endpointComment: String
            var scopes: String
            var providerConfigKey: String
            var custom: Bool
            var customFile: String
            var conformance: String
            var inputLocations: String
            /// `wire:` names by input name, when any input has one.
            var hasWireNames: Bool
            var wireNames: String
            /// `encoding: form`.
            var formEncoded: Bool
            /// Array inputs of the query with `style: comma`, when any.
            var hasCommaArrays: Bool
            var arrayStyles: String
            var schema: String
            var structs: [Struct]
        }
        var marker: String
        var slugComment: String
        var nameComment: String
        var providerKeyComment: String
        var typeName: String
        var providerConfigKey: String
        var multipleConnections: Bool
        var tools: [ToolView]
    }

    struct RegistryView {
        struct Entry { var reference: String }
        var marker: String
        var tools: [Entry]
    }

    public func emit(_ catalog: Catalog, templates: TemplateSet) throws(DiagnosticsError) -> [GeneratedFile] {
        let renderer = try templates.renderer(Self.template, prototype: Self.view(Catalog.prototype.connectors[0]))
        let registryRenderer = try templates.renderer(Self.registryTemplate, prototype: RegistryView(marker: "", tools: [.init(reference: "")]))
        // Each connector's file, and its tools' entries in the registry, from its one view.
        let rendered = Parallel.map(catalog.connectors) { connector in
            let view = Self.view(connector)
            return (file: GeneratedFile(path: "Tools/\(view.typeName).swift", contents: renderer.render(view), artifact: .swift),
                    entries: view.tools.map { RegistryView.Entry(reference: view.typeName + "." + $0.typeName + ".self") })
        }
        var files = rendered.map(\.file)
        let registry = RegistryView(marker: Self.marker, tools: rendered.flatMap(\.entries))
        files.append(GeneratedFile(path: "Tools/AllTools.swift", contents: registryRenderer.render(registry), artifact: .swift))
        switch layout {
        case .perConnector: return files
        case .singleFile:
            // Each part keeps its own header and imports (a repeated import is allowed).
            return [GeneratedFile(path: Self.singleFileName, contents: files.map(\.contents).joined(separator: "\n"), artifact: .swift)]
        }
    }

    static let marker = GeneratedFile.marker + " from the manifests; do not edit, run `keyway generate`"

    static func connectorType(_ c: Connector) -> String { SwiftIdentifier.upperCamel(c.slug) }

    /// Text in a `///` comment: one line, no control characters.
    static func comment(_ s: String) -> String {
        if s.utf8AllSatisfy(Literal.isPrintableASCII) { return s }
        var out = ""
        for scalar in s.unicodeScalars {
            if scalar.isInvisible {
                out += scalar == "\n" || scalar == "\r" || scalar == "\t" ? " " : "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func view(_ connector: Connector) -> View {
        let s = Literal.swift
        let type = connectorType(connector)
        return View(
            marker: marker, slugComment: comment("connectors/\(connector.slug).yaml"), nameComment: comment(connector.name),
            providerKeyComment: comment(connector.providerKey), typeName: type,
            providerConfigKey: s(connector.providerKey), multipleConnections: connector.multipleConnections,
            tools: connector.tools.map { tool in
                let typeName = SwiftIdentifier.upperCamel(tool.name)
                let locations = tool.inputs.map { (key: s($0.name), value: "." + $0.location.rawValue) }
                let wires = tool.inputs.compactMap { input in input.wire.map { (key: s(input.name), value: s($0)) } }
                let commas = tool.inputs.filter { $0.style == .comma }.map { (key: s($0.name), value: ".comma") }
                return View.ToolView(
                    typeName: typeName, qualifiedName: s(JSONSchema.qualifiedName(connector, tool)), name: s(tool.name),
                    description: s(tool.description), descriptionComment: comment(tool.description), methodName: tool.method.rawValue,
                    endpoint: s(tool.endpoint), endpointComment: comment(tool.endpoint),
                    scopes: Literal.swiftArray(tool.scopes.map(s)), providerConfigKey: s(connector.providerKey),
                    custom: tool.request == .custom, customFile: "\(type)+\(typeName).swift",
                    conformance: tool.request == .custom ? "KeywayRuntime.AgentTool" : "KeywayRuntime.StandardRequestTool",
                    inputLocations: Literal.swiftDictionary(locations),
                    hasWireNames: !wires.isEmpty && tool.request != .custom, wireNames: Literal.swiftDictionary(wires),
                    formEncoded: tool.encoding == .form && tool.request != .custom,
                    hasCommaArrays: !commas.isEmpty && tool.request != .custom, arrayStyles: Literal.swiftDictionary(commas),
                    schema: JSONSchema.input(of: tool).swift(indent: 2),
                    structs: structs(for: tool))
            })
    }

    /// `Input` and one struct for every object inside it, flattened into the tool's type.
    static func structs(for tool: Tool) -> [View.Struct] {
        var result: [View.Struct] = []
        var used: Set<String> = ["Input"]
        // Underscores tried so far for each name: a name taken once is taken for good, so
        // the next object of that name starts where the last one stopped (linear, however
        // many objects share a name).
        var underscores: [String: Int] = [:]
        func build(_ name: String, _ properties: [NamedSchema], conformance: String, path: String) {
            var fields: [View.Field] = []
            var checks: [SwiftCheck] = []
            var parameters: [SwiftParameter] = []
            var pending: [(String, [NamedSchema], String)] = []
            for property in properties {
                let identifier = propertyName(property.name)
                let fieldPath = path.isEmpty ? property.name : path + "." + property.name
                func type(_ schema: InputSchema, _ base: String, _ path: String) -> SwiftType {
                    switch schema.type {
                    case .string: return .string
                    case .integer: return .int
                    case .number: return .double
                    case .boolean: return .bool
                    case .array(let items): return .array(type(items, base + "Item", path + "[]"))
                    case .map(let values): return .dictionary(type(values, base + "Value", path + ".*"))
                    case .object(let nested):
                        let baseName = SwiftIdentifier.upperCamel(base)
                        var count = underscores[baseName] ?? 0
                        var structName = baseName + String(repeating: "_", count: count)
                        while used.contains(structName) { structName += "_"; count += 1 }
                        underscores[baseName] = count
                        used.insert(structName)
                        pending.append((structName, nested, path))
                        return .named(structName)
                    }
                }
                let base = type(property.schema, property.name, fieldPath)
                let swiftType = property.schema.optional ? SwiftType.optional(base) : base
                parameters.append(SwiftParameter(name: identifier, type: swiftType))
                fields.append(View.Field(property: identifier, jsonName: Literal.swift(property.name),
                                         swiftType: swiftType.rendered, doc: comment(doc(property.schema))))
                checks += self.checks(property.schema, access: .variable("self." + identifier), optional: property.schema.optional, field: fieldPath)
            }
            result.append(View.Struct(structName: name, structConformance: conformance, fields: fields, hasFields: !fields.isEmpty,
                                      initParameters: SwiftParameter.list(parameters), checks: checks.flatMap(\.lines)))
            for (structName, nested, nestedPath) in pending {
                build(structName, nested, conformance: "Swift.Codable, Swift.Sendable, Swift.Equatable", path: nestedPath)
            }
        }
        build("Input", tool.inputs.map { NamedSchema(name: $0.name, schema: $0.schema) }, conformance: "KeywayRuntime.ToolInput, Swift.Equatable", path: "")
        return result
    }

    /// Property names: the JSON name in lowerCamel; a keyword in backticks; names of the
    /// struct's own members get a trailing underscore.
    static func propertyName(_ name: String) -> String {
        var id = SwiftIdentifier.lowerCamel(name)
        if memberNames.contains(id) { id += "_" }
        return SwiftIdentifier.escaped(id)
    }

    /// Members of every input struct that a property must not take.
    private static let memberNames: Set<String> = ["validate", "init", "self", "Type", "Protocol", "CodingKeys"]

    static func doc(_ schema: InputSchema) -> String {
        var parts: [String] = []
        if let d = schema.description { parts.append(d) }
        if case .string(let format?) = schema.type { parts.append("(format: \(format.rawValue))") }
        let b = schema.bounds
        let n = { (d: Double) in JSONSchema.number(d).json(indent: nil) }
        let unit = if case .array = schema.type { " items" } else { " characters" }
        if let v = b.minimum { parts.append("(minimum: \(n(v)))") }
        if let v = b.maximum { parts.append("(maximum: \(n(v)))") }
        if let v = b.minLength { parts.append("(at least \(v)\(unit))") }
        if let v = b.maxLength { parts.append("(at most \(v)\(unit))") }
        if let v = b.pattern { parts.append("(pattern: \(v))") }
        if let d = schema.defaultValue { parts.append("(default: \(JSONSchema.value(d).json(indent: nil)))") }
        return parts.isEmpty ? schema.type.name : parts.joined(separator: " ")
    }

    /// The checks of `validate()` for one field: formats, allowed values, nested structs.
    static func checks(_ schema: InputSchema, access: SwiftExpression, optional: Bool, field: String, depth: Int = 0) -> [SwiftCheck] {
        let f: (label: String?, value: SwiftExpression) = ("field", .string(field))
        var checks: [SwiftCheck] = []
        // Checks of scalars take an optional, so one statement serves both.
        let b = schema.bounds
        switch schema.type {
        case .string(let format):
            if let format {
                let check = switch format { case .email: "email"; case .dateTime: "dateTime"; case .date: "date"; case .uri: "uri" }
                checks.append(.inputCheck(check, [(nil, access), f]))
            }
            if b.minLength != nil || b.maxLength != nil {
                checks.append(.inputCheck("length", [(nil, access), ("min", .int(b.minLength)), ("max", .int(b.maxLength)), f]))
            }
            if let p = b.pattern { checks.append(.inputCheck("pattern", [(nil, access), (nil, .string(p)), f])) }
        case .integer, .number:
            if b.minimum != nil || b.maximum != nil {
                checks.append(.inputCheck("range", [(nil, access), ("min", .bound(b.minimum)), ("max", .bound(b.maximum)), f]))
            }
        case .array(let items):
            if b.minLength != nil || b.maxLength != nil {
                checks.append(.inputCheck("count", [(nil, .member(access, "count", optionalChaining: optional)), ("min", .int(b.minLength)), ("max", .int(b.maxLength)), f]))
            }
            let item = "item\(depth == 0 ? "" : String(depth))"
            let inner = Self.checks(items, access: .variable(item), optional: false, field: field + "[]", depth: depth + 1)
            if !inner.isEmpty {
                checks.append(.forEach(item, in: optional ? .orEmpty(access, dictionary: false) : access, body: inner))
            }
        case .map(let values):
            let value = "value\(depth == 0 ? "" : String(depth))"
            let inner = Self.checks(values, access: .variable(value), optional: false, field: field + ".*", depth: depth + 1)
            if !inner.isEmpty {
                checks.append(.forEach(value, in: .member(.parenthesized(optional ? .orEmpty(access, dictionary: true) : access), "values", optionalChaining: false), body: inner))
            }
        case .object:
            checks.append(.validate(access, optional: optional))
        default: break
        }
        if let allowed = schema.allowed {
            let values = allowed.map { v -> SwiftExpression in
                switch v {
                case .string(let s): .string(s)
                case .integer(let i): .integer(i)
                case .number(let d): .double(d)
                case .boolean(let b): .bool(b)
                }
            }
            checks.append(.inputCheck("oneOf", [(nil, access), (nil, .array(values)), f]))
        }
        return checks
    }
}
