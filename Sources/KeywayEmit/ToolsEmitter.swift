import KeywayContract
import KeywayModel

/// `Tools/<Connector>.swift`, one per connector: a type per tool (name,
/// description, method, endpoint, scopes, its `InputContract` as a literal, a Codable
/// `Input`), and
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

    struct View: Encodable {
        struct Field: Encodable {
            var property: String
            var jsonName: String
            var swiftType: String
            var doc: String
        }
        struct Struct: Encodable {
            var structName: String
            var structConformance: String
            var fields: [Field]
            var hasFields: Bool
            var initParameters: String
        }
        struct ToolView: Encodable {
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
            /// `encoding: form`.
            var formEncoded: Bool
            /// The `InputContract` literal.
            var contract: String
            /// `output:` declared: the `OutputContract` literal and an `Output` struct.
            var hasOutput: Bool
            var outputContract: String
            /// `log:` declared: the `CallLogPolicy` literal.
            var hasCallLog: Bool
            var callLog: String
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

    struct RegistryView: Encodable {
        struct Entry: Encodable { var reference: String }
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
                return View.ToolView(
                    typeName: typeName, qualifiedName: s(connector.modelName(of: tool)), name: s(tool.name),
                    description: s(tool.description), descriptionComment: comment(tool.description), methodName: tool.method.rawValue,
                    endpoint: s(tool.endpoint), endpointComment: comment(tool.endpoint),
                    scopes: Literal.swiftArray(tool.scopes.map(s)), providerConfigKey: s(connector.providerKey),
                    custom: tool.request == .custom, customFile: "\(type)+\(typeName).swift",
                    conformance: tool.request == .custom ? "KeywayRuntime.AgentTool" : "KeywayRuntime.StandardRequestTool",
                    formEncoded: tool.encoding == .form && tool.request != .custom,
                    contract: ContractLiteral.render(tool.inputs, indent: 3),
                    hasOutput: tool.output != nil, outputContract: tool.output.map { ContractLiteral.render(output: $0.fields, indent: 3) } ?? "",
                    hasCallLog: tool.callLog != .none,
                    callLog: "KeywayRuntime.CallLogPolicy(arguments: \(tool.callLog.arguments), response: \(tool.callLog.response), maxBytes: \(tool.callLog.maxBytes))",
                    structs: structs(for: tool))
            })
    }

    /// `Input`, `Output` when the tool declares one, and one struct for every object inside
    /// them, flattened into the tool's type.
    static func structs(for tool: Tool) -> [View.Struct] {
        var result: [View.Struct] = []
        // `Output` is the tool's associated type whether declared or not: no nested struct takes it.
        var used: Set<String> = ["Input", "Output"]
        // Underscores tried so far for each name: a name taken once is taken for good, so
        // the next object of that name starts where the last one stopped (linear, however
        // many objects share a name).
        var underscores: [String: Int] = [:]
        func build(_ name: String, _ properties: [NamedSchema], conformance: String) {
            var fields: [View.Field] = []
            var parameters: [SwiftParameter] = []
            var pending: [(String, [NamedSchema])] = []
            for property in properties {
                let identifier = propertyName(property.name)
                func type(_ schema: ValueSchema, _ base: String) -> SwiftType {
                    switch schema.type {
                    case .string: return .string
                    case .integer: return .int
                    case .number: return .double
                    case .boolean: return .bool
                    case .array(let items): return .array(element(items, base + "Item"))
                    case .map(let values): return .dictionary(element(values, base + "Value"))
                    case .object(let nested):
                        let baseName = SwiftIdentifier.upperCamel(base)
                        var count = underscores[baseName] ?? 0
                        var structName = baseName + String(repeating: "_", count: count)
                        while used.contains(structName) { structName += "_"; count += 1 }
                        underscores[baseName] = count
                        used.insert(structName)
                        pending.append((structName, nested))
                        return .named(structName)
                    }
                }
                /// An array's item or a map's value: optional when it may be null.
                func element(_ schema: ValueSchema, _ base: String) -> SwiftType {
                    schema.nullable ? .optional(type(schema, base)) : type(schema, base)
                }
                let base = type(property.schema, property.name)
                let swiftType = property.schema.optional || property.schema.nullable ? SwiftType.optional(base) : base
                parameters.append(SwiftParameter(name: identifier, type: swiftType))
                fields.append(View.Field(property: identifier, jsonName: Literal.swift(property.name),
                                         swiftType: swiftType.rendered, doc: comment(doc(property.schema))))
            }
            result.append(View.Struct(structName: name, structConformance: conformance, fields: fields, hasFields: !fields.isEmpty,
                                      initParameters: SwiftParameter.list(parameters)))
            for (structName, nested) in pending {
                build(structName, nested, conformance: "Swift.Codable, Swift.Sendable, Swift.Equatable")
            }
        }
        build("Input", tool.inputContract.properties, conformance: "KeywayRuntime.ToolInput, Swift.Equatable")
        if let output = tool.output { build("Output", output.fields, conformance: "KeywayRuntime.ToolOutput, Swift.Equatable") }
        return result
    }

    /// Property names: the JSON name in lowerCamel; a keyword in backticks; names of the
    /// struct's own members get a trailing underscore.
    static func propertyName(_ name: String) -> String {
        var id = SwiftIdentifier.lowerCamel(name)
        if memberNames.contains(id) { id += "_" }
        return SwiftIdentifier.escaped(id)
    }

    /// Members of every input struct that a property must not take (`validate` stays on
    /// the list: code generated before the contract had it, and names must not change).
    private static let memberNames: Set<String> = ["validate", "init", "self", "Type", "Protocol", "CodingKeys"]

    /// A field's doc comment: its description, then what the contract says of it.
    static func doc(_ schema: ValueSchema) -> String {
        // One string appended to, its parts separated by a space (an empty description is
        // a part too).
        var out = "", parts = 0
        func part(_ text: String) {
            if parts > 0 { out += " " }
            out += text
            parts += 1
        }
        if let d = schema.description { part(d) }
        if case .string(let format?) = schema.type { part("(format: \(format.rawValue))") }
        if schema.nullable { part("(nullable)") }
        for constraint in schema.constraints { part(constraint.summary(for: schema.type)) }
        if let d = schema.defaultValue { part("(default: \(OrderedJSON(d).json(indent: nil)))") }
        return parts == 0 ? schema.type.name : out
    }
}
