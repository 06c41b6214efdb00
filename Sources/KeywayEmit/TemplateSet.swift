import KeywayModel

/// The templates the emitters render, by file name (`IntegrationCatalog.swift.mustache`).
/// Loaded by the caller (built-in defaults, or a `--templates` folder): emitters stay pure.
public struct TemplateSet: Sendable {
    public struct Source: Sendable {
        public var name: String
        /// Where the text came from, for diagnostics (`Templates/x.mustache`, or `<built-in>/x.mustache`).
        public var path: String
        public var text: String
        /// One of keyway's own templates (not an override): its names are checked by
        /// keyway's tests, so a run does not check them again.
        public var builtIn: Bool
        public init(name: String, path: String, text: String, builtIn: Bool = false) {
            self.name = name
            self.path = path
            self.text = text
            self.builtIn = builtIn
        }
    }

    public let sources: [String: Source]

    public init(sources: [Source]) {
        self.sources = Dictionary(sources.map { ($0.name, $0) }, uniquingKeysWith: { _, b in b })
    }

    /// One template, parsed and checked, ready to render any number of views of one type.
    struct Renderer: Sendable {
        let template: Template

        func render(_ view: some TemplateView) -> String { template.render(TemplateData(view)) }
    }

    /// Names a template may use in a section over a list besides its view's: the
    /// list-position functions, also when written without their parentheses.
    static let positionNames: Set<String> = ["first", "last", "index", "even", "odd"]

    /// The template `name`, parsed (an error at the position of what does not parse), after
    /// refusing names the view's type does not have (a Mustache engine renders an unknown
    /// name as an empty string, silently). `prototype` is a view of the same type with one
    /// element in every list and every optional set, so that the names are those of the
    /// type, whatever the data holds. Parsed once a run, however many files it renders, and
    /// not at all when the run renders nothing with it (migrations' templates in
    /// `generate`). A built-in template's names are checked by the tests, not every run.
    func renderer(_ name: String, prototype: some TemplateView) throws(DiagnosticsError) -> Renderer {
        guard let source = sources[name] else {
            throw DiagnosticsError([.error(SourceLocation(file: name, line: 1, column: 1), "template '\(name)' is missing; restore it or remove the override")])
        }
        let template: Template
        do {
            template = try Template(source.text)
        } catch {
            let (line, column) = error.position(in: source.text)
            throw DiagnosticsError([.error(SourceLocation(file: source.path, line: line, column: column), "template does not parse: \(error.message)")])
        }
        if !source.builtIn {
            let known = TemplateValueEncoder.value(of: prototype).names.union(Self.positionNames)
            let unknown = template.uses.filter { !known.contains($0.name) }
            if !unknown.isEmpty {
                let names = known.sorted().joined(separator: ", ")
                throw DiagnosticsError(unknown.map {
                    let (line, column) = TemplateError(offset: $0.offset, message: "").position(in: source.text)
                    return .error(SourceLocation(file: source.path, line: line, column: column),
                                  "template uses '\($0.name.forDiagnostic)', which its view does not have; use one of: \(names)")
                })
            }
        }
        return Renderer(template: template)
    }

    /// Renders one view (see `renderer(_:prototype:)`).
    func render(_ name: String, _ view: some TemplateView, prototype: some TemplateView) throws(DiagnosticsError) -> String {
        try renderer(name, prototype: prototype).render(view)
    }
}
