import Foundation
import Ink
import KeywayCore
@testable import KeywayEmit
import KeywayLoad
import KeywayMigrations
import KeywayModel
import KeywayValidate
import KeywayFiles
import Testing

/// The text of every `<code>` element of an HTML document, entities decoded.
func codeSpans(_ html: String) -> [String] {
    var spans: [String] = []
    var rest = Substring(html)
    while let open = rest.range(of: "<code>"), let close = rest.range(of: "</code>", range: open.upperBound..<rest.endIndex) {
        spans.append(decodeEntities(String(rest[open.upperBound..<close.lowerBound])))
        rest = rest[close.upperBound...]
    }
    return spans
}

func decodeEntities(_ s: String) -> String {
    s.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
        .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
}

/// The HTML of one `## N. Title` section of a checklist, parsed by Ink.
func section(_ markdown: String, _ title: String) -> String {
    let parts = markdown.components(separatedBy: "\n## ")
    let body = parts.first { $0.contains(". \(title)\n") } ?? ""
    return MarkdownParser().html(from: body.components(separatedBy: "\n").dropFirst().joined(separator: "\n"))
}

@Suite("OAuth app checklists")
struct ChecklistTests {
    static let manifests = packageRoot.appendingPathComponent("Manifests").path

    @Test("sections come in the order an engineer works")
    func sectionOrder() throws {
        let files = try generateFiles(Self.manifests)
        let gmail = try #require(files.first { $0.path == "Checklists/gmail.md" }?.contents)
        let headings = gmail.split(separator: "\n").filter { $0.hasPrefix("## ") }
        #expect(headings == ["## 1. Create the app", "## 2. Enable the APIs", "## 3. Consent screen and app review", "## 4. Redirect URIs",
                             "## 5. Scopes", "## 6. Secrets", "## 7. Nango integration", "## 8. Test the connection"])
        #expect(gmail.contains("security assessment"), "restricted Google scopes need the assessment")
        #expect(gmail.contains("`gmail_get_profile` (`GET /gmail/v1/users/me/profile`)"), "the test step names a read-only tool")
        let index = try #require(files.first { $0.path == "Checklists/README.md" }?.contents)
        #expect(index.contains("- [Gmail](gmail.md): 2 scopes, highest level: restricted"))
    }

    @Test("a Markdown parser reads back the redirect URIs, scopes and secret names exactly")
    func roundTrip() throws {
        let catalog = try #require(Pipeline.validate(manifests: Self.manifests).catalog)
        let files = try generateFiles(Self.manifests)
        for integration in catalog.integrations {
            let markdown = try #require(files.first { $0.path == "Checklists/\(integration.key).md" }?.contents)
            let redirects = codeSpans(section(markdown, "Redirect URIs"))
            #expect(redirects == integration.auth.redirectURIs.map(\.value), "\(integration.key)")
            let scopes = codeSpans(section(markdown, "Scopes")).filter { span in integration.auth.scopes.contains { $0.scope == span } }
            #expect(scopes == integration.auth.scopes.map(\.scope), "\(integration.key)")
            let secrets = codeSpans(section(markdown, "Secrets"))
            #expect(secrets == integration.auth.secrets.flatMap { [$0.name, $0.value] }, "\(integration.key)")
            #expect(codeSpans(section(markdown, "Create the app")) == (integration.auth.console.map { [$0] } ?? []))
        }
    }

    /// CommonMark counts backticks by code point: a backtick followed by a combining mark
    /// (one Swift Character) still opens or closes a code span. The expected spans were
    /// checked with markdown-it-py's CommonMark renderer; before, "a`\u{301}b" got a fence
    /// of one backtick, and the span closed after "a".
    @Test("a backtick followed by a combining mark still lengthens and pads the code span")
    func combiningBackticks() {
        #expect(Literal.markdownCode("a`\u{301}b") == "``a`\u{301}b``")
        #expect(Literal.markdownCode("`\u{301}a") == "`` `\u{301}a ``")
        #expect(Literal.markdownCode("a``\u{301}") == "```a``\u{301}```")
        #expect(Literal.markdownCode("caf\u{E9}") == "`caf\u{E9}`")
    }

    /// GitHub's table and autolink parsers read bytes: a `|` or a `://` followed by a
    /// combining mark (one Swift Character with it) still ends a cell or makes a link.
    @Test("a combining mark hides neither a table pipe nor a link")
    func combiningPipesAndLinks() {
        #expect(Literal.escapingPipes("x|\u{301}[click](https://evil.example)|\u{301}y") == "x\\|\u{301}[click](https://evil.example)\\|\u{301}y")
        #expect(Literal.markdown("see https://\u{301}evil.example/login and www.\u{301}evil.example")
                == "see `https://\u{301}evil.example/login` and `www.\u{301}evil.example`")
        #expect(Literal.markdown("mail x@\u{301}evil.example or MAILTO:\u{301}x, caf\u{E9} at noon")
                == "mail `x@\u{301}evil.example` or `MAILTO:\u{301}x,` caf\u{E9} at noon")
        // In a table cell, the code span a link becomes escapes its pipes too.
        #expect(Literal.markdown("a|b https://x|y", tableCell: true) == "a\\|b `https://x\\|y`")
        #expect(Literal.markdown("a|b https://x|y") == "a\\|b `https://x|y`")
    }

    static let hostile = [
        "](javascript:alert(1)) [click](https://evil.example) ![x](https://evil.example/x.png)",
        "<script>alert(1)</script> <img src=x onerror=alert(1)> &lt;b&gt;",
        "a | b || c `code` ``` fence *bold* _em_ ~~strike~~ # not a heading",
        "line one\nline two\r\n- [x] forged item\n## Forged heading",
        "visit www.evil.example or mail me@evil.example now",
        // Top-level domains linkify-it knows (it links www. and e-mail only for those; GitHub for any).
        "visit www.evil.com or mail me@evil.com, www.\u{301}evil.com and x@\u{301}evil.com",
        "costs $5, or $x^2 + y$ as GitHub math",
        "x|\u{301}[click](https://evil.example)|\u{301}y and https://\u{301}evil.example/login",
    ]

    /// GitHub-flavoured Markdown as markdown-it-py renders it (tables, strikethrough and
    /// bare-URL autolinks, which Ink does not do): per document, its links, the cells of
    /// each table body row, and the HTML.
    static func gfm(_ documents: [String]) throws -> [(links: Int, cells: [Int], html: String)] {
        let dir = TempDir()
        let paths = documents.enumerated().map { dir.write("\($0.offset).md", $0.element).path }
        let run = withExtendedLifetime(dir) { Python.run(["-c", """
            import json, re, sys
            from markdown_it import MarkdownIt
            out = []
            for path in sys.argv[1:]:
                html = MarkdownIt("gfm-like").render(open(path, encoding="utf-8").read())
                rows = [r for r in re.findall(r"<tr>(.*?)</tr>", html, re.S) if "<td" in r]
                out.append({"links": html.count("<a "), "cells": [r.count("<td") for r in rows], "html": html})
            print(json.dumps(out))
            """] + paths) }
        try #require(run.status == 0, "\(run.output)")
        struct Rendered: Decodable { var links: Int; var cells: [Int]; var html: String }
        return try JSONDecoder().decode([Rendered].self, from: Data(run.output.utf8)).map { ($0.links, $0.cells, $0.html) }
    }

    /// The hostile strings as the integration's name, reason and tool description, and one
    /// as the scope itself (a code span in a table cell).
    static let rendered = hostile.map { ($0, false) } + [("x|\u{301}[click](https://evil.example)|\u{301}y", true)]

    @Test("rendered as GitHub renders them, a checklist and the scope table keep their links, rows and cells", arguments: rendered)
    func hostileRendered(_ text: String, asScope: Bool) throws {
        try #require(Python.require(["markdown_it", "linkify_it"]))
        let dir: TempDir
        if asScope {
            let scope = "https://www.googleapis.com/auth/gmail.send"
            let quoted = "\"" + text + "\""
            dir = Fixture.folder(integration: Fixture.integration.replacingOccurrences(of: scope, with: quoted),
                                 connector: Fixture.connector.replacingOccurrences(of: scope, with: quoted),
                                 scopes: Fixture.scopes.replacingOccurrences(of: scope, with: quoted))
        } else {
            dir = CatalogEmitterTests.hostileFolder(text)
        }
        let files = try withExtendedLifetime(dir) { try generateFiles(dir.path) }
        let plainDir = Fixture.folder()
        let plainFiles = try withExtendedLifetime(plainDir) { try generateFiles(plainDir.path) }
        let paths = ["Checklists/mail.md", "scopes.md", "Checklists/README.md"]
        let hostile = try Self.gfm(paths.map { path in files.first { $0.path == path }!.contents })
        let plain = try Self.gfm(paths.map { path in plainFiles.first { $0.path == path }!.contents })
        for (path, (got, expected)) in zip(paths, zip(hostile, plain)) {
            #expect(got.links == expected.links, "\(path): \(got.html)")
            #expect(got.cells == expected.cells, "\(path): \(got.html)")
            for forbidden in ["<script", "<img", "<h2>Forged", "<strong>", "<em>", "<del>", "<s>"] {
                #expect(!got.html.contains(forbidden), "\(forbidden) in \(path): \(got.html)")
            }
        }
        #expect(plain[1].cells == [6], "the plain scope table has one row of six cells")
    }

    @Test("hostile manifest strings cannot add links, HTML, items, headings or table cells", arguments: hostile)
    func hostileStrings(_ text: String) throws {
        let dir = CatalogEmitterTests.hostileFolder(text)
        let files = try withExtendedLifetime(dir) { try generateFiles(dir.path) }
        let checklist = try #require(files.first { $0.path == "Checklists/mail.md" }?.contents)
        let html = MarkdownParser().html(from: checklist)
        for forbidden in ["<script", "<img", "<a ", "<h2>Forged", "<strong>", "<em>", "<del>", "<s>"] {
            #expect(!html.contains(forbidden), "\(forbidden) in \(html)")
        }
        #expect(checklist.split(separator: "\n").filter { $0.hasPrefix("## ") }.count == 8, "no forged heading")
        let plainDir = Fixture.folder()
        let plainChecklist = try withExtendedLifetime(plainDir) { try generateFiles(plainDir.path) }.first { $0.path == "Checklists/mail.md" }!.contents
        let items = { (s: String) in s.split(separator: "\n").filter { $0.hasPrefix("- [") }.count }
        #expect(items(checklist) == items(plainChecklist), "no forged item")
        // The reason still reads as the text the manifest wrote (line breaks become spaces).
        let flat = text.replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ")
        let plain = decodeEntities(html.replacingOccurrences(of: "<code>", with: "").replacingOccurrences(of: "</code>", with: ""))
        #expect(plain.contains(flat), "\(plain)")
        // Every '$' escaped: GitHub renders $…$ as math.
        #expect(!checklist.replacingOccurrences(of: "\\$", with: "").contains("$"))

        let report = try #require(files.first { $0.path == "scopes.md" }?.contents)
        let row = try #require(report.split(separator: "\n").last)
        // Cells are split on unescaped pipes: exactly six, whatever the strings hold.
        var cells = 0, escaped = false, inCode = false
        for c in row.unicodeScalars.dropFirst() {
            if escaped { escaped = false; continue }
            if c == "\\" { escaped = true } else if c == "`" { inCode.toggle() } else if c == "|" { cells += 1 }
        }
        #expect(cells == 6, "\(row)")
        let index = MarkdownParser().html(from: try #require(files.first { $0.path == "Checklists/README.md" }?.contents))
        #expect(index.components(separatedBy: "<a ").count - 1 == 1, "the index links only to the checklist")
        #expect(index.contains("href=\"mail.md\""))
    }
}
