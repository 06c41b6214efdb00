import KeywayModel
import Mustache

/// The templates the emitters render, by file name (`IntegrationCatalog.swift.mustache`).
/// Loaded by the caller (built-in defaults, or a `--templates` folder): emitters stay pure.
public struct TemplateSet: Sendable {
    public struct Source: Sendable {
        public var name: String
        /// Where the text came from, for diagnostics (`Templates/x.mustache`, or `<built-in>/x.mustache`).
        public var path: String
        public var text: String
        /// One of keyway's own templates (not an override): its names and its parse are
        /// checked by keyway's tests, so a run does not check them again.
        public var builtIn: Bool
        public init(name: String, path: String, text: String, builtIn: Bool = false) {
            self.name = name
            self.path = path
            self.text = text
            self.builtIn = builtIn
        }
    }

    public let sources: [String: Source]
    /// Whether templates keyway's renderer reads are rendered by it (`CompiledTemplate`).
    private let ownRenderer: Bool

    public init(sources: [Source]) {
        self.init(sources: sources, ownRenderer: true)
    }

    /// `ownRenderer: false` renders every template with swift-mustache (the reference the
    /// tests hold keyway's renderer to).
    init(sources: [Source], ownRenderer: Bool) {
        self.sources = Dictionary(sources.map { ($0.name, $0) }, uniquingKeysWith: { _, b in b })
        self.ownRenderer = ownRenderer
    }

    /// What swift-mustache renders of `text` with `value`; nil when it does not parse.
    static func mustacheRendering(_ text: String, _ value: TemplateValue) -> String? {
        (try? MustacheTemplate(string: text))?.render(value.any)
    }

    private static func parse(_ source: Source) -> Result<MustacheTemplate, DiagnosticsError> {
        do {
            return .success(try MustacheTemplate(string: source.text))
        } catch let error as MustacheTemplate.ParserError {
            return .failure(DiagnosticsError([.error(SourceLocation(file: source.path, line: error.context.lineNumber, column: error.context.columnNumber),
                                                     "template does not parse: \(error.error); fix the tag at this position")]))
        } catch {
            return .failure(DiagnosticsError([.error(SourceLocation(file: source.path, line: 1, column: 1), "template does not parse: \(error)")]))
        }
    }

    /// One template, checked, ready to render any number of views of one type.
    /// keyway's renderer when it reads the template, else swift-mustache's.
    struct Renderer: Sendable {
        fileprivate enum Engine: Sendable {
            case compiled(CompiledTemplate)
            case mustache(MustacheTemplate)
        }
        fileprivate let engine: Engine

        func render(_ view: some TemplateViewValue) -> String {
            switch engine {
            case .compiled(let compiled): compiled.render(view.templateValue)
            case .mustache(let mustache): mustache.render(view.templateValue.any)
            }
        }
    }

    /// The template `name`, after refusing names the view's type does not have (a
    /// Mustache engine renders an unknown name as an empty string, silently). `prototype`
    /// is a view of the same type with one element in every list, so that the names are
    /// those of the types, whatever the data holds. Checked once, however many files the
    /// renderer then writes.
    /// A template is parsed here, when an emitter asks for it: once a run, however many
    /// files it renders, and not at all when the run renders nothing with it (migrations'
    /// templates in `generate`). swift-mustache parses it too: its diagnostics, and the
    /// renderer of the templates keyway's own does not read. A built-in template that
    /// keyway's renderer reads is neither checked nor parsed by swift-mustache: the tests
    /// check every built-in template's names and parse, once, instead of every run.
    func renderer(_ name: String, prototype: Any) throws(DiagnosticsError) -> Renderer {
        guard let source = sources[name] else {
            throw DiagnosticsError([.error(SourceLocation(file: name, line: 1, column: 1), "template '\(name)' is missing; restore it or remove the override")])
        }
        let compiled = ownRenderer ? CompiledTemplate(source.text) : nil
        if source.builtIn, let compiled { return Renderer(engine: .compiled(compiled)) }
        let template = try Self.parse(source).get()
        let unknown = TemplateNames.unknownNames(in: source.text, view: prototype)
        if !unknown.isEmpty {
            let known = TemplateNames.names(of: prototype).sorted().joined(separator: ", ")
            throw DiagnosticsError(unknown.map {
                .error(SourceLocation(file: source.path, line: $0.line, column: $0.column),
                       "template uses '\($0.name.forDiagnostic)', which its view does not have; use one of: \(known)")
            })
        }
        return Renderer(engine: compiled.map { .compiled($0) } ?? .mustache(template))
    }

    /// Renders one view (see `renderer(_:prototype:)`).
    func render(_ name: String, _ view: some TemplateViewValue, prototype: Any) throws(DiagnosticsError) -> String {
        try renderer(name, prototype: prototype).render(view)
    }
}

/// The names a template uses, checked against the names its view provides.
public enum TemplateNames {
    /// Names that swift-mustache provides inside a section over a list.
    static let builtIns: Set<String> = ["first", "last", "index", "even", "odd"]

    public struct Use: Equatable, Sendable {
        public var name: String
        public var line: Int
        public var column: Int
    }

    /// Every variable and section name in the template's tags, with its position.
    public static func uses(in text: String) -> [Use] {
        var uses: [Use] = []
        let chars = Array(text.unicodeScalars)
        var i = 0, line = 1, column = 1
        while i < chars.count {
            if chars[i] == "{", i + 1 < chars.count, chars[i + 1] == "{" {
                let (tagLine, tagColumn) = (line, column)
                var j = i + 2
                var body = ""
                while j + 1 < chars.count, !(chars[j] == "}" && chars[j + 1] == "}") { body.unicodeScalars.append(chars[j]); j += 1 }
                var tag = body.trimmingWhitespace
                if tag.hasPrefix("{") { tag = String(tag.dropFirst()) }
                if let sigil = tag.unicodeScalars.first, "#^/&".unicodeScalars.contains(sigil) { tag = String(tag.dropFirst()).trimmingWhitespace }
                else if let sigil = tag.unicodeScalars.first, "!%>=<$".unicodeScalars.contains(sigil) { tag = "" }
                // Transforms: `{{ uppercased(name) }}`: the name is inside the parentheses.
                if let open = tag.firstIndex(of: "("), let close = tag.lastIndex(of: ")"), open < close {
                    tag = String(tag[tag.index(after: open)..<close])
                }
                for component in tag.split(separator: ".") where !component.isEmpty {
                    uses.append(Use(name: String(component), line: tagLine, column: tagColumn))
                }
                for k in i..<min(j + 2, chars.count) {
                    if chars[k] == "\n" { line += 1; column = 1 } else { column += 1 }
                }
                i = j + 2
                continue
            }
            if chars[i] == "\n" { line += 1; column = 1 } else { column += 1 }
            i += 1
        }
        return uses
    }

    /// Every property name reachable in a view (structs and their lists, recursively).
    public static func names(of view: Any) -> Set<String> {
        var names = builtIns
        var stack: [Any] = [view]
        while let value = stack.popLast() {
            let mirror = Mirror(reflecting: value)
            switch mirror.displayStyle {
            case .collection, .optional:
                stack.append(contentsOf: mirror.children.map(\.value))
            case .struct, .class:
                if mirror.children.isEmpty { continue }
                for child in mirror.children {
                    if let label = child.label { names.insert(label) }
                    stack.append(child.value)
                }
            default:
                continue
            }
        }
        return names
    }

    public static func unknownNames(in text: String, view: Any) -> [Use] {
        let known = names(of: view)
        return uses(in: text).filter { !known.contains($0.name) }
    }
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
