import Foundation
import KeywayCore
import KeywayEmit
import KeywayLoad
import KeywayMigrations
import KeywayModel
@testable import KeywayOpenAPI
import KeywayValidate
import KeywayFiles
import Testing

/// `keyway tools lint` and `keyway tools import` against two small OpenAPI documents
/// written for these tests: a shop (3.0, YAML) and a chat API (3.1, JSON, paths under /api).
@Suite("OpenAPI lint and import")
struct OpenAPITests {
    static let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures/OpenAPI")

    static func api(_ name: String) throws -> ProviderAPI {
        let data = try Data(contentsOf: fixtures.appendingPathComponent(name))
        return try ProviderAPI.decode(data, file: name).get()
    }

    /// A manifests folder with the shop and chat integrations and the connectors given.
    static func folder(_ connectors: [String: String]) throws -> TempDir {
        let dir = TempDir()
        for name in ["shop", "chat"] {
            dir.write("integrations/\(name).yaml", try Data(contentsOf: fixtures.appendingPathComponent("integrations/\(name).yaml")))
        }
        for (slug, text) in connectors { dir.write("connectors/\(slug).yaml", text) }
        return dir
    }

    static func connector(_ slug: String, _ tools: String) -> String {
        "slug: \(slug)\nname: \(slug.capitalized)\nnango:\n  provider_key: \(slug)\ntools:\n" + tools
    }

    /// Lint diagnostics as `file:line:col: severity: message`, the folder's path removed.
    static func lint(_ dir: TempDir, _ slug: String, _ document: String, basePath: String = "") throws -> [String] {
        let validation = dir.validate()
        #expect(validation.diagnostics.filter { $0.severity == .error } == [])
        let catalog = try #require(validation.catalog)
        let linter = OpenAPILinter(api: try api(document), basePath: basePath)
        return linter.lint(catalog.connectors.filter { $0.slug == slug }).map {
            var d = $0
            d.location.file = String(d.location.file.dropFirst(dir.path.count + 1))
            return d.formatted
        }
    }

    static let badShop = connector("shop", """
      - name: missing_op
        description: No such path
        method: GET
        endpoint: /v1/customer
      - name: wrong_method
        description: No such method
        method: PUT
        endpoint: /v1/customers/{id}
        scopes: [shop.write]
        input:
          id: { type: string, max_length: 64 }
      - name: get
        description: Placeholder names differ, shapes agree
        method: GET
        endpoint: /v1/customers/{id}
        scopes: [shop.read]
        input:
          id: { type: string, max_length: 100 }
      - name: list
        description: List
        method: GET
        endpoint: /v1/customers
        scopes: [shop.write]
        input:
          limit:   { type: number, optional: true, default: 10, minimum: 0 }
          status:  { type: string, optional: true, enum: [active, deleted] }
          expand:  { type: array, items: { type: string }, optional: true, wire: "expand[]", style: comma }
          ids:     { type: array, items: { type: string }, optional: true, max_length: 50 }
          created: { type: integer, optional: true }
          created_gte: { type: integer, optional: true, wire: "created[gte]" }
          created_on: { type: integer, optional: true, wire: "created[on]" }
          sort:    { type: string, optional: true }
          X-Trace: { type: string, in: header, optional: true }
          session: { type: string, optional: true }
      - name: create
        description: Create
        method: POST
        endpoint: /v1/customers
        scopes: [shop.write]
        input:
          name: { type: string, min_length: 0, max_length: 300 }
          address:
            type: object
            properties:
              city: { type: string, optional: true }
              zip:  { type: string }
          metadata: { type: object, values: { type: integer } }
          tag: { type: string, optional: true }
      - name: order
        description: Order
        method: POST
        endpoint: /v1/orders
        scopes: [shop.write]
        input:
          amount:   { type: integer, minimum: 1, multiple_of: 3 }
          currency: { type: string, optional: true }
          draft:    { type: boolean, optional: true }

    """)

    static let badChat = connector("chat", """
      - name: post
        description: Post
        method: POST
        endpoint: /chat.postMessage
        scopes: ["chat:write"]
        input:
          channel:  { type: string }
          text:     { type: string, max_length: 4000 }
          priority: { type: boolean, optional: true }
      - name: post_low
        description: Post, the string branch of priority
        method: POST
        endpoint: /chat.postMessage
        scopes: ["chat:write"]
        input:
          channel:  { type: string }
          text:     { type: string, max_length: 4000 }
          priority: { type: string, optional: true, enum: [low] }
      - name: history
        description: History
        method: GET
        endpoint: /conversations.history
        scopes: ["channels:read"]
        input:
          limit:  { type: integer, optional: true, default: 100, minimum: 0, maximum: 1000 }
          oldest: { type: string, optional: true, format: date }

    """)

    @Test("every rule, on a 3.0 YAML document: the whole list of findings, at the manifest's lines")
    func lintShop() throws {
        let dir = try Self.folder(["shop": Self.badShop])
        #expect(try Self.lint(dir, "shop", "shop-3.0.yaml") == [
            "connectors/shop.yaml:9:15: error: the OpenAPI document has no operation GET /v1/customer; did you mean /v1/customers (GET, POST)?",
            "connectors/shop.yaml:12:13: error: the OpenAPI document has no PUT /v1/customers/{id}, only DELETE, GET; change 'method'",
            "connectors/shop.yaml:23:7: error: input 'id' allows more characters than the document's max_length (64); lower max_length to 64",
            "connectors/shop.yaml:28:14: error: scope 'shop.write' is not one the document lists for GET /v1/customers ('shop.read'); use one of those",
            "connectors/shop.yaml:30:7: error: input 'limit' allows values below the document's minimum (1); raise minimum to 1",
            "connectors/shop.yaml:30:7: warning: input 'limit' defaults to 10 here, but to 20 in the document; keyway sends its own default, so keep it only on purpose (say why in a comment)",
            "connectors/shop.yaml:30:7: warning: input 'limit' has no maximum, but the document's is 100; add maximum: 100 so that the model is told",
            "connectors/shop.yaml:30:7: warning: input 'limit' is a number here, but the document says integer; use type: integer so that no fraction is sent",
            "connectors/shop.yaml:31:7: error: enum value 'deleted' of input 'status' is not among the document's ('active', 'archived'); remove it",
            "connectors/shop.yaml:32:7: error: the document sends 'expand[]' repeated (expand[]=a&expand[]=b: style form, explode true); remove style: comma",
            "connectors/shop.yaml:33:7: error: the document wants 'ids' comma-separated (ids=a,b: style form, explode false); add style: comma",
            "connectors/shop.yaml:34:7: error: query parameter 'created' is a deepObject (created[key]=value) in the document; keyway sends no objects in the query: declare one input per key, with wire: 'created[key]'",
            "connectors/shop.yaml:36:7: error: query parameter 'created' has no key 'on' in the document; remove the input or fix 'wire'",
            "connectors/shop.yaml:37:7: error: input 'sort' goes in the query as 'sort', but the document lists no query parameter of that name; remove the input or fix its name",
            "connectors/shop.yaml:38:7: warning: input 'X-Trace' goes in the header as 'X-Trace', but the document lists no header of that name (documents often leave common headers out; check the provider's docs)",
            "connectors/shop.yaml:39:7: error: input 'session' goes in the query as 'session', but the document lists no query parameter of that name; the document has it in the cookie: change 'in'",
            "connectors/shop.yaml:40:11: error: the operation requires body property 'email'; add an input for it (in: body)",
            "connectors/shop.yaml:42:13: error: the operation's request body is application/x-www-form-urlencoded, not JSON; add encoding: form",
            "connectors/shop.yaml:46:7: error: input 'name' allows fewer characters than the document's min_length (1); raise min_length to 1",
            "connectors/shop.yaml:46:7: error: input 'name' allows more characters than the document's max_length (256); lower max_length to 256",
            "connectors/shop.yaml:47:7: error: input 'address' has property 'zip' the document does not list; remove it",
            "connectors/shop.yaml:47:7: error: input 'address' lacks the document's required property 'line1'; add it under 'properties'",
            "connectors/shop.yaml:52:7: error: the values of input 'metadata' is an integer here, but the document says string; use type: string",
            "connectors/shop.yaml:53:7: error: the request body has no property 'tag' in the document; did you mean 'tags'?",
            "connectors/shop.yaml:60:7: error: input 'amount' allows values that are not multiples of the document's multiple_of (5); make multiple_of a multiple of 5",
            "connectors/shop.yaml:61:7: error: input 'currency' is optional here, but the document requires it; remove optional: true or give it a default",
            "connectors/shop.yaml:62:7: error: the request body has no property 'draft' in the document; remove the input or fix its name",
        ])
    }

    @Test("3.1 JSON with --base-path: anyOf branches, required query parameters, exclusive bounds, formats")
    func lintChat() throws {
        let dir = try Self.folder(["chat": Self.badChat])
        #expect(try Self.lint(dir, "chat", "chat-3.1.json", basePath: "/api/") == [
            "connectors/chat.yaml:14:7: error: input 'priority' matches none of the document's anyOf shapes (integer or string); make it one of them",
            "connectors/chat.yaml:24:11: error: the operation requires query parameter 'channel' (in: query); add an input for it",
            "connectors/chat.yaml:30:7: error: input 'limit' allows values below the document's minimum (1); raise minimum to 1",
            "connectors/chat.yaml:31:7: error: input 'oldest' has format date, but the document says date-time; use format: date-time",
        ])
        // Without the base path nothing is found, and the message says where to look.
        let unprefixed = try Self.lint(dir, "chat", "chat-3.1.json")
        #expect(unprefixed.count == 3)
        #expect(unprefixed.first == "connectors/chat.yaml:9:15: error: the OpenAPI document has no operation POST /chat.postMessage; did you mean /api/chat.postMessage (POST)?")
    }

    static let shopOperations = ["listCustomers", "CreateCustomer", "getCustomer", "deleteCustomer", "createOrder"]
    static let chatOperations = ["chat.postMessage", "conversationsHistory"]

    @Test("import → validate → lint: the drafted tools validate and lint clean against the same document")
    func roundTrip() throws {
        let shopAPI = try Self.api("shop-3.0.yaml"), chatAPI = try Self.api("chat-3.1.json")
        let shop = try Self.shopOperations.map { try OpenAPIImporter(api: shopAPI).entry(operationId: $0).get() }.joined()
        let chat = try Self.chatOperations.map { try OpenAPIImporter(api: chatAPI, basePath: "/api").entry(operationId: $0).get() }.joined()
        let dir = try Self.folder(["shop": Self.connector("shop", shop), "chat": Self.connector("chat", chat)])
        #expect(dir.validate().diagnostics == [])
        #expect(try Self.lint(dir, "shop", "shop-3.0.yaml") == [])
        #expect(try Self.lint(dir, "chat", "chat-3.1.json", basePath: "/api") == [])
        let catalog = try #require(dir.validate().catalog)
        #expect(catalog.connectors.map { $0.tools.map(\.name) } == [
            ["chat_post_message", "conversations_history"],
            ["list_customers", "create_customer", "get_customer", "delete_customer", "create_order"],
        ])
    }

    @Test("import: a path parameter, query arrays (repeated and comma), what keyway cannot send left out with a comment")
    func importQuery() throws {
        let api = try Self.api("shop-3.0.yaml")
        #expect(try OpenAPIImporter(api: api).entry(operationId: "getCustomer").get() == """
              - name: get_customer
                description: Retrieve a customer
                method: GET
                endpoint: /v1/customers/{customer}
                scopes: [shop.read]
                input:
                  customer:
                    type: string
                    in: path
                    max_length: 64
                # output not drafted: its 200 response has no JSON body

            """)
        #expect(try OpenAPIImporter(api: api).entry(operationId: "listCustomers").get() == """
              - name: list_customers
                description: List customers
                method: GET
                endpoint: /v1/customers
                scopes: [shop.read]
                input:
                  limit:
                    type: integer
                    in: query
                    description: How many customers to return
                    optional: true
                    default: 20
                    minimum: 1
                    maximum: 100
                  status:
                    type: string
                    in: query
                    optional: true
                    enum: [active, archived]
                  expand:
                    type: array
                    in: query
                    wire: "expand[]"
                    items:
                      type: string
                    optional: true
                  ids:
                    type: array
                    in: query
                    style: comma
                    items:
                      type: string
                    optional: true
                    max_length: 50
                  # left out: created: a deepObject; declare one input per key with wire: 'created[key]'
                  X-Request-Id:
                    type: string
                    in: header
                    optional: true
                  # left out: session: a cookie parameter; keyway sends none
                # output not drafted: its 200 response has no JSON body

            """)
    }

    @Test("a deepObject array (expand[]=a&expand[]=b) is imported as a repeated query array with wire 'expand[]' and lints clean; HTML and Markdown descriptions become plain text")
    func deepObjectArray() throws {
        let api = try Self.api("payments-3.0.yaml")
        let entry = try OpenAPIImporter(api: api).entry(operationId: "GetCharges").get()
        #expect(entry == """
              - name: get_charges
                description: "Lists the charges of the account, newest first & at most limit of them."
                method: GET
                endpoint: /v1/charges
                scopes: [shop.read]
                input:
                  expand:
                    type: array
                    in: query
                    wire: "expand[]"
                    items:
                      type: string
                      max_length: 5000
                    description: Fields of each charge to expand in place of their ids.
                    optional: true
                  limit:
                    type: integer
                    in: query
                    description: How many charges to return, from 1 to 100.
                    optional: true
                    minimum: 1
                    maximum: 100
                output:
                  object:
                    type: string
                  data:
                    type: array
                    items:
                      type: object
                      properties:
                        id:
                          type: string
                        amount:
                          type: integer
                        currency:
                          type: string
                        created:
                          type: integer
                        description:
                          type: string
                          optional: true
                          nullable: true
                        status:
                          type: string
                        metadata:
                          type: object
                          values:
                            type: string
                        customer:
                          # anyOf: the first shape, string, is drafted
                          type: string
                          nullable: true
                  has_more:
                    type: boolean

            """)
        // The drafted entry lints clean; the same input sent comma-separated does not.
        let dir = try Self.folder(["shop": Self.connector("shop", entry)])
        #expect(try Self.lint(dir, "shop", "payments-3.0.yaml") == [])
        let comma = entry.replacingOccurrences(of: "        wire: \"expand[]\"\n", with: "        wire: \"expand[]\"\n        style: comma\n")
        let bad = try Self.folder(["shop": Self.connector("shop", comma)])
        #expect(try Self.lint(bad, "shop", "payments-3.0.yaml") == [
            "connectors/shop.yaml:12:7: error: the document reads 'expand' as expand[]=a&expand[]=b (a deepObject array); remove style: comma",
        ])
    }

    @Test("outputs against the document's success answer: a field it lacks, another type, null it allows, a value beyond the enum, a field it does not promise; through a schema that refers to itself")
    func outputLint() throws {
        let tool = """
              - name: get_charges
                description: Charges
                method: GET
                endpoint: /v1/charges
                scopes: [shop.read]
                output:
                  object: { type: string, enum: [list] }
                  total: { type: integer }
                  has_more: { type: string }
                  data:
                    type: array
                    items:
                      type: object
                      properties:
                        id: { type: string }
                        amount: { type: number }
                        created: { type: integer, optional: true }
                        description: { type: string }
                        status: { type: string, enum: [succeeded, failed] }
                        metadata: { type: object, values: { type: integer } }
                        customer:
                          type: object
                          nullable: true
                          properties:
                            id: { type: string }
                            email: { type: string }
                            charges: { type: object, properties: { data: { type: array, items: { type: object, properties: { currency: { type: string } } } } } }

            """
        let dir = try Self.folder(["shop": Self.connector("shop", tool)])
        let found = try Self.lint(dir, "shop", "payments-3.0.yaml")
        #expect(found == [
            "connectors/shop.yaml:13:7: error: the document's answer has no field 'total'; remove it",
            "connectors/shop.yaml:14:7: error: output field 'has_more' is a string here, but the document says boolean; use type: boolean",
            "connectors/shop.yaml:15:7: error: the document says output field 'description' may be null; add nullable: true (an answer with null would not conform)",
            "connectors/shop.yaml:15:7: error: the document's answer has no field 'email' there; remove it",
            "connectors/shop.yaml:15:7: error: the document's output field 'status' may also be 'pending'; add it to 'enum' (an answer with it would not conform)",
            "connectors/shop.yaml:15:7: error: the values of output field 'metadata' is an integer here, but the document says string; use type: string",
            "connectors/shop.yaml:15:7: warning: the document does not promise output field 'charges' in every answer; add optional: true unless the provider always sends it",
            "connectors/shop.yaml:15:7: warning: the document does not promise output field 'description' in every answer; add optional: true unless the provider always sends it",
        ])
        // An answer typed through a chain of seven references: six are followed, the
        // seventh stands for any value, and import says so where it stops.
        let chain = #"""
            {"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
             "paths": {"/v1/a": {"get": {"operationId": "getA", "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/L1"}}}}}}}},
             "components": {"schemas": {
               "L1": {"type": "object", "properties": {"n": {"type": "string"}, "next": {"$ref": "#/components/schemas/L2"}}},
               "L2": {"type": "object", "properties": {"n": {"type": "string"}, "next": {"$ref": "#/components/schemas/L3"}}},
               "L3": {"type": "object", "properties": {"n": {"type": "string"}, "next": {"$ref": "#/components/schemas/L4"}}},
               "L4": {"type": "object", "properties": {"n": {"type": "string"}, "next": {"$ref": "#/components/schemas/L5"}}},
               "L5": {"type": "object", "properties": {"n": {"type": "string"}, "next": {"$ref": "#/components/schemas/L6"}}},
               "L6": {"type": "object", "properties": {"n": {"type": "string"}, "next": {"$ref": "#/components/schemas/L7"}}},
               "L7": {"type": "object", "properties": {"n": {"type": "string"}}}
             }}}
            """#
        let deep = try OpenAPIImporter(api: try ProviderAPI.decode(Data(chain.utf8), file: "chain.json").get()).entry(operationId: "getA").get()
        #expect(deep == """
              - name: get_a
                description: getA
                method: GET
                endpoint: /v1/a
                output:
                  n:
                    type: string
                    optional: true
                  next:
                    type: object
                    properties:
                      n:
                        type: string
                        optional: true
                      next:
                        type: object
                        properties:
                          n:
                            type: string
                            optional: true
                          next:
                            type: object
                            properties:
                              n:
                                type: string
                                optional: true
                              next:
                                type: object
                                properties:
                                  n:
                                    type: string
                                    optional: true
                                  next:
                                    type: object
                                    properties:
                                      n:
                                        type: string
                                        optional: true
                                      # left out: next: no type in the document, or nested past the 6 references keyway follows
                                    optional: true
                                optional: true
                            optional: true
                        optional: true
                    optional: true

            """)
    }

    @Test("descriptions for a web page become plain text: tags, entities, links, emphasis and code marks")
    func plainText() {
        #expect(PlainText.of("<p>Returns a <strong>list</strong> of&nbsp;items.</p><p>Second &lt;para&gt; &#8212; &#x2713;</p>") == "\nReturns a list of items.\n\nSecond <para> — ✓\n")
        #expect(PlainText.of("Use [the API](https://x.example) and **bold** or __strong__, `code`; a < b and c > d; 5 & 6") == "Use the API and bold or strong, code; a < b and c > d; 5 & 6")
        #expect(PlainText.of("[not a link] (x) <3 &unknown; a<b>c</b>") == "[not a link] (x) <3 &unknown; ac")
    }

    @Test("import: a form body with a nested object, a map and a bounded array; JSON bodies with enums, bounds, defaults")
    func importBody() throws {
        let shop = try Self.api("shop-3.0.yaml")
        #expect(try OpenAPIImporter(api: shop).entry(operationId: "CreateCustomer").get() == """
              - name: create_customer
                description: Create a customer
                method: POST
                endpoint: /v1/customers
                scopes: [shop.write]
                encoding: form
                input:
                  email:
                    type: string
                    in: body
                    format: email
                    description: Where receipts go
                  name:
                    type: string
                    in: body
                    optional: true
                    min_length: 1
                    max_length: 256
                  address:
                    type: object
                    in: body
                    properties:
                      line1:
                        type: string
                        max_length: 200
                      city:
                        type: string
                        optional: true
                    optional: true
                  metadata:
                    type: object
                    in: body
                    values:
                      type: string
                    optional: true
                  tags:
                    type: array
                    in: body
                    items:
                      type: string
                    optional: true
                    max_length: 10
                # output not drafted: its 200 response has no JSON body

            """)
        #expect(try OpenAPIImporter(api: shop).entry(operationId: "createOrder").get() == """
              - name: create_order
                description: "Create an order: it charges the card"
                method: POST
                endpoint: /v1/orders
                scopes: [shop.write]
                input:
                  # left out: the body is one of several shapes; the first object is drafted
                  amount:
                    type: integer
                    in: body
                    minimum: 1
                    multiple_of: 5
                  currency:
                    type: string
                    in: body
                    enum: [usd, eur]
                  quantity:
                    type: integer
                    in: body
                    optional: true
                    minimum: 1
                  note:
                    type: string
                    in: body
                    optional: true
                    pattern: "^[a-z ]+$"
                  gift:
                    type: boolean
                    in: body
                    optional: true
                    default: false
                  priority:
                    type: string
                    in: body
                    optional: true
                    default: "no"
                    enum: ["yes", "no"]
                # output not drafted: its 200 response has no JSON body

            """)
        // 3.1 JSON, read by the same composer as YAML: properties in the document's order.
        #expect(try OpenAPIImporter(api: Self.api("chat-3.1.json"), basePath: "/api").entry(operationId: "chat.postMessage").get() == """
              - name: chat_post_message
                description: Post a message
                method: POST
                endpoint: /chat.postMessage
                scopes: ["chat:write"]
                input:
                  channel:
                    type: string
                    in: body
                  text:
                    type: string
                    in: body
                    max_length: 4000
                  thread_ts:
                    type: string
                    in: body
                    optional: true
                  mrkdwn:
                    type: boolean
                    in: body
                    optional: true
                    default: true
                  priority:
                    # anyOf: the first shape, integer, is drafted
                    type: integer
                    in: body
                    optional: true
                    minimum: 1
                    maximum: 5
                # output not drafted: the operation lists no responses

            """)
    }

    @Test("import: an unknown operation id has a did-you-mean; a $ref cycle spoils only its own operation")
    func importFailures() throws {
        let api = try Self.api("shop-3.0.yaml")
        #expect(OpenAPIImporter(api: api).entry(operationId: "listCustomer").failure?.formatted
            == "shop-3.0.yaml:1:1: error: no operation has the operationId 'listCustomer'; did you mean 'listCustomers'?")
        #expect(OpenAPIImporter(api: api).entry(operationId: "plantTree").failure?.formatted
            == "shop-3.0.yaml:1:1: error: POST /v1/tree cannot be resolved (its parameters or request body lead to #/components/schemas/Node, which refers to itself through $ref; keyway resolves schemas without cycles)")
    }

    /// Strings of a document that try to break out of the YAML they are written into.
    static let hostile = """
        {"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
         "paths": {"/v1/{thing id}/x": {"post": {
           "operationId": "9 evil\\nop",
           "summary": "Evil: \\n  - name: injected\\n    method: DELETE #",
           "parameters": [
             {"name": "thing id", "in": "path", "required": true, "schema": {"type": "string"}},
             {"name": "$filter", "in": "query", "schema": {"type": "string", "enum": ["a, b]", "null", "#x", "\\u2028"], "default": "null"}},
             {"name": "X-Evil\\nHeader", "in": "header", "schema": {"type": "string"}}
           ],
           "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {
             "a\\"b": {"type": "string", "description": "x\\"\\n- y: z"},
             "ok": {"type": "object", "properties": {"bad key!": {"type": "string"}, "fine": {"type": "string", "pattern": "^\\\\d+$"}}}
           }}}}},
           "responses": {"201": {"description": "made", "content": {"application/json; charset=utf-8": {"schema": {"type": "object", "properties": {
             "a\\"b": {"type": "string"},
             "id\\n- injected": {"type": "string"},
             "note": {"type": ["string", "null"], "description": "y\\"\\n- z: w #"},
             "secret": {"type": "string", "writeOnly": true}
           }}}}}}
         }}}}
        """

    @Test("import: hostile strings come out quoted or as comments, and the entry still validates and lints clean")
    func importHostile() throws {
        let api = try ProviderAPI.decode(Data(Self.hostile.utf8), file: "hostile.json").get()
        let entry = try OpenAPIImporter(api: api).entry(operationId: "9 evil\nop").get()
        #expect(entry == #"""
              - name: op_9_evil_op
                description: "Evil:"
                method: POST
                endpoint: /v1/{thing_id}/x
                input:
                  thing_id:
                    type: string
                    in: path
                  _filter:
                    type: string
                    in: query
                    wire: "$filter"
                    optional: true
                    default: "null"
                    enum: ["a, b]", "null", "#x", "\u2028"]
                  # left out: X-Evil\u{A}Header: not a valid header name
                  a_b:
                    type: string
                    in: body
                    wire: "a\"b"
                    description: "x\""
                    optional: true
                  ok:
                    type: object
                    in: body
                    properties:
                      # left out: bad key!: not a property name keyway accepts
                      fine:
                        type: string
                        optional: true
                        pattern: "^\\d+$"
                    optional: true
                output:
                  # left out: a"b: not a field name keyway accepts
                  # left out: id\u{A}- injected: not a field name keyway accepts
                  note:
                    type: string
                    description: "y\""
                    optional: true
                    nullable: true

            """#)
        let dir = try Self.folder(["shop": Self.connector("shop", entry)])
        #expect(dir.validate().diagnostics.filter { $0.severity == .error } == [])  // warnings: the fixtures' scopes go unused
        let catalog = try #require(dir.validate().catalog)
        #expect(OpenAPILinter(api: api).lint(catalog.connectors.filter { $0.slug == "shop" }) == [])
    }

    @Test("a document that cannot be read is one diagnostic at the file, never a crash")
    func unreadable() {
        func problem(_ text: String) -> String? { ProviderAPI.decode(Data(text.utf8), file: "api.yaml").failure?.formatted }
        #expect(problem("swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n")
            == "api.yaml:1:1: error: a Swagger 2.0 document; convert it to OpenAPI 3 (e.g. with swagger2openapi) first")
        #expect(problem("title: not an api\n")
            == "api.yaml:1:1: error: not an OpenAPI document (no 'openapi' version at the top); keyway reads OpenAPI 3.0 and 3.1")
        #expect(problem("openapi: 3.0.3\ninfo: {title: t}\npaths: {}\n")
            == "api.yaml:1:1: error: the OpenAPI document cannot be decoded: Expected to find `version` key in Document.info but it is missing")
        #expect(problem("openapi: 3.1.0\ninfo: [\n")
            == "api.yaml:3:1: error: cannot read the OpenAPI document: YAML syntax error: did not find expected node content (while parsing a flow node at line 3); fix the YAML at this position")
        #expect(problem("{\"openapi\": \"3.1.0\", \"info\": 1}")?.hasPrefix("api.yaml:1:1: error: the OpenAPI document cannot be decoded: ") == true)
        #expect(problem("openapi: 4.0.0\n") == "api.yaml:1:1: error: OpenAPI version '4.0.0' is not one keyway reads (3.0.x, 3.1.x)")
        // A billion laughs stops at the alias that crosses the bound, before anything is expanded.
        var laughs = "openapi: 3.1.0\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for i in 1...9 { laughs += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n" }
        #expect(problem(laughs) == "api.yaml:6:45: error: cannot read the OpenAPI document: the aliases up to here repeat more than 100000 nodes; write the values out instead of nesting aliases")
        // Nesting stops at 128 levels (real documents nest 30 at most), in YAML and JSON alike.
        #expect(problem("openapi: 3.1.0\nx: " + String(repeating: "[", count: 300) + String(repeating: "]", count: 300) + "\n")
            == "api.yaml:2:131: error: cannot read the OpenAPI document: lists and mappings nest deeper than 128 levels; flatten the document")
        #expect(problem(#"{"openapi": "3.1.0", "x": "# + String(repeating: "[", count: 300) + String(repeating: "]", count: 300) + "}")
            == "api.yaml:1:154: error: cannot read the OpenAPI document: lists and mappings nest deeper than 128 levels; flatten the document")
        // JSON that is not UTF-8 is told so, like YAML.
        #expect(ProviderAPI.decode(Data(#"{"openapi": "3.1.0", "info": {"title": ""#.utf8) + Data([0xFF]) + Data(#""}}"#.utf8), file: "api.json").failure?.formatted
            == "api.json:1:1: error: the OpenAPI document is not UTF-8 text")
        #expect(ProviderAPI.decode(Data(count: ProviderAPI.maximumBytes + 1), file: "big.json").failure?.formatted
            == "big.json:1:1: error: the OpenAPI document is larger than 64 MiB; keyway does not read it")
    }

    /// A document whose request body is `#/components/schemas/S0`, with `schemas` after it.
    static func referring(_ schemas: [String]) -> String {
        """
        openapi: 3.0.3
        info: {title: t, version: '1'}
        paths:
          /x:
            post:
              operationId: make
              requestBody:
                content:
                  application/json:
                    schema: {$ref: '#/components/schemas/S0'}
              responses: {'200': {description: ok}}
        components:
          schemas:

        """ + schemas.map { "    \($0)\n" }.joined()
    }

    @Test("references: a long chain, a deep unfolding and a doubling bomb are refused at the reference, in linear time; a cycle is marked without walking it")
    func referenceBounds() throws {
        func problem(_ text: String) -> String? { ProviderAPI.decode(Data(text.utf8), file: "api.yaml").failure?.formatted }
        // 1,000 links of $ref to $ref (OpenAPIKit recursed once per link, and overflowed).
        let chain = Self.referring((0..<1_000).map { "S\($0): {$ref: '#/components/schemas/S\($0 + 1)'}" } + ["S1000: {type: string}"])
        #expect(problem(chain) == "api.yaml:10:28: error: the references here unfold POST /x deeper than 256 levels; keyway reads documents whose references unfold less deep")
        // 40 schemas, each referring twice to the next: 2^40 nodes once inlined.
        let bomb = Self.referring((0..<40).map { "S\($0): {type: object, properties: {a: {$ref: '#/components/schemas/S\($0 + 1)'}, b: {$ref: '#/components/schemas/S\($0 + 1)'}}}" } + ["S40: {type: string}"])
        #expect(problem(bomb) == "api.yaml:10:28: error: the references here unfold POST /x to more than 2000000 nodes (each reference counts what it repeats); keyway reads documents whose references unfold to less")
        // 80 links that nest an object each: 243 levels, under the limit, imported whole.
        let deep = Self.referring((0..<80).map { "S\($0): {type: object, required: [a], properties: {a: {$ref: '#/components/schemas/S\($0 + 1)'}}}" } + ["S80: {type: string}"])
        let api = try ProviderAPI.decode(Data(deep.utf8), file: "api.yaml").get()
        #expect(api.operations.map(\.problem) == [nil])
        #expect(try OpenAPIImporter(api: api).entry(operationId: "make").get().hasPrefix("  - name: make\n"))
        // A cycle that the body reaches through two plain schemas: marked, not walked.
        let cycle = Self.referring(["S0: {$ref: '#/components/schemas/S1'}", "S1: {type: object, properties: {next: {$ref: '#/components/schemas/S2'}}}",
                                    "S2: {type: object, properties: {back: {$ref: '#/components/schemas/S1'}}}"])
        #expect(try ProviderAPI.decode(Data(cycle.utf8), file: "api.yaml").get().operations.map(\.problem)
                == ["its parameters or request body lead to #/components/schemas/S1, which refers to itself through $ref; keyway resolves schemas without cycles"])
        // Linear: a chain four times as long (each refused) takes about four times as long, not sixteen.
        let ratio = growthRatio(small: 2_000) { n in
            _ = ProviderAPI.decode(Data(Self.referring((0..<n).map { "S\($0): {$ref: '#/components/schemas/S\($0 + 1)'}" }).utf8), file: "api.yaml")
        }
        #expect(ratio < 8, "a chain of 2,000 → 8,000 links took \(ratio)× as long")
    }

    @Test("JSON is read by the same composer as YAML: an emoji written as a surrogate pair reads back whole; nesting is linear")
    func jsonAsYAML() throws {
        let json = #"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/x": {"get": {"operationId": "g", "summary": "smile \ud83d\ude00 and \u00e9, \/ \"q\"", "responses": {"200": {"description": "ok"}}}}}}"#
        let api = try ProviderAPI.decode(Data(json.utf8), file: "api.json").get()
        #expect(api.operations.map(\.summary) == ["smile \u{1F600} and é, / \"q\""])
        func document(_ schema: String) -> String {
            #"{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {"/x": {"post": {"operationId": "make", "requestBody": {"content": {"application/json": {"schema": "#
                + schema + #"}}}, "responses": {"200": {"description": "ok"}}}}}}"#
        }
        var deep = #"{"type": "string"}"#
        for _ in 0..<60 { deep = #"{"type": "object", "properties": {"a": "# + deep + "}}" }
        let flat = #"{"type": "object", "properties": {"# + (0..<60).map { #""a\#($0)": {"type": "object", "properties": {}}"# }.joined(separator: ", ") + "}}"
        #expect(try ProviderAPI.decode(Data(document(deep).utf8), file: "api.json").get().operations.count == 1)
        // The deepest nesting allowed costs about what as many schemas side by side cost
        // (Foundation's decoder with OpenAPIKit took cubic time in the depth: 80 levels, 6 s).
        func time(_ text: String) throws -> Double {
            var best = Double.infinity
            for _ in 0..<3 {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try ProviderAPI.decode(Data(text.utf8), file: "api.json").get()
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start))
            }
            return best
        }
        let ratio = try time(document(deep)) / time(document(flat))
        #expect(ratio < 10, "60 nested schemas took \(ratio)× as long as 60 side by side")
    }

    @Test("lint: tools that match no operation cost a lookup each, and are told the closest path, by edits or by shared segments")
    func unmatchedTools() throws {
        func document(_ count: Int) -> String {
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n" + (0..<count).map { "  /v1/things\($0)/{id}/parts:\n    get:\n      operationId: op\($0)\n      responses: {'200': {description: ok}}\n" }.joined()
        }
        let tools = (0..<20).map { "  - name: t\($0)\n    description: T\n    method: GET\n    endpoint: /v2/elsewhere\($0)/{id}\n    input:\n      id: {type: string, description: Id}\n" }.joined()
            + "  - name: near\n    description: Near\n    method: GET\n    endpoint: /v1/thingz7/{id}/parts\n    input:\n      id: {type: string, description: Id}\n"
            + "  - name: shared\n    description: Shared\n    method: GET\n    endpoint: /v1/things3/{id}/pieces/extra\n    input:\n      id: {type: string, description: Id}\n"
        let dir = try Self.folder(["shop": Self.connector("shop", tools)])
        let validation = dir.validate()
        #expect(validation.diagnostics.filter { $0.severity == .error }.map(\.formatted) == [])
        guard let connectors = validation.catalog?.connectors.filter({ $0.slug == "shop" }) else { return }
        let api = try ProviderAPI.decode(Data(document(50).utf8), file: "api.yaml").get()
        let found = OpenAPILinter(api: api).lint(connectors).map(\.message)
        #expect(found.count == 22)
        #expect(found.filter { $0.contains("did you mean") } == [
            "the OpenAPI document has no operation GET /v1/thingz7/{id}/parts; did you mean /v1/things7/{id}/parts (GET)?",
            "the OpenAPI document has no operation GET /v1/things3/{id}/pieces/extra; did you mean /v1/things3/{id}/parts (GET)?",
        ])
        let small = try ProviderAPI.decode(Data(document(300).utf8), file: "api.yaml").get()
        let large = try ProviderAPI.decode(Data(document(1_200).utf8), file: "api.yaml").get()
        let ratio = growthRatio(small: 1) { _ = OpenAPILinter(api: $0 == 1 ? small : large).lint(connectors) }
        #expect(ratio < 8, "300 → 1,200 operations took \(ratio)× as long")
    }

    @Test("import drafts only what validates and lints clean: a const discriminator, bad wire names, a type list, nesting past a manifest's depth; duplicate operationIds are warned of")
    func importWhatValidates() throws {
        var deep = "{type: string}"
        for _ in 0..<40 { deep = "{type: object, properties: {v: {type: string}, n: \(deep)}}" }
        let document = """
            openapi: 3.1.0
            info: {title: t, version: '1'}
            paths:
              /v1/pages/{page_id}/move:
                post:
                  operationId: movePage
                  parameters:
                    - {name: page_id, in: path, required: true, schema: {type: string}}
                    - {name: "bad name", in: query, schema: {type: string}}
                    - {name: "", in: query, schema: {type: string}}
                    - {name: "line\\nbreak", in: query, schema: {type: string}}
                  requestBody:
                    content:
                      application/json:
                        schema:
                          type: object
                          required: [parent]
                          properties:
                            parent:
                              oneOf:
                                - {type: object, required: [type, page_id], properties: {type: {const: page_id}, page_id: {type: string}}}
                                - {type: object, required: [type, database_id], properties: {type: {const: database_id}, database_id: {type: string}}}
                            size: {type: [integer, string]}
                            deep: \(deep)
                  responses: {'200': {description: ok}}
              /v1/a:
                get: {operationId: twice, responses: {'200': {description: ok}}}
              /v1/b:
                post: {operationId: twice, responses: {'200': {description: ok}}}

            """
        let api = try ProviderAPI.decode(Data(document.utf8), file: "pages.yaml").get()
        let importer = OpenAPIImporter(api: api)
        let entry = try importer.entry(operationId: "movePage").get()
        let lines = entry.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.prefix(27).joined(separator: "\n") == """
              - name: move_page
                description: movePage
                method: POST
                endpoint: /v1/pages/{page_id}/move
                input:
                  page_id:
                    type: string
                    in: path
                  # left out: 'bad name': not a name keyway can send ('wire' must not contain spaces or control characters)
                  # left out: '': not a name keyway can send ('wire' must be 1 to 128 characters)
                  # left out: 'line\\u{A}break': not a name keyway can send ('wire' must not contain spaces or control characters)
                  parent:
                    # oneOf: the first shape, object, is drafted
                    type: object
                    in: body
                    properties:
                      type:
                        type: string
                        enum: [page_id]
                      page_id:
                        type: string
                  size:
                    # anyOf: the first shape, integer, is drafted
                    type: integer
                    in: body
                    optional: true
                  deep:
            """)
        // The nesting stops where a manifest must: one comment, at the level that would cross
        // it (and one more saying why no output is drafted).
        #expect(lines.filter { $0.contains("#") }.count == 7)
        #expect(lines.last { $0.contains("#") } == "    # output not drafted: its 200 response has no JSON body")
        #expect(lines.filter { $0.contains("# left out: n: ") }.map { $0.trimmingCharacters(in: .whitespaces) } == ["# left out: n: nested deeper than a manifest may be (64 levels)"])
        let dir = try Self.folder(["shop": Self.connector("shop", entry)])
        let validation = dir.validate()
        #expect(validation.diagnostics.filter { $0.severity == .error }.map(\.formatted) == [])
        if let catalog = validation.catalog {
            #expect(OpenAPILinter(api: api).lint(catalog.connectors.filter { $0.slug == "shop" }).map(\.formatted) == [])
        }
        #expect(importer.warnings(operationId: "movePage") == [])
        #expect(importer.warnings(operationId: "twice").map(\.formatted) == [
            "pages.yaml:1:1: warning: operationId 'twice' names 2 operations (GET /v1/a, POST /v1/b), where OpenAPI wants one; the first, GET /v1/a, is drafted",
        ])
    }

    @Test("the keyway binary: exit 0 when the tools agree, 1 on an error or an unreadable document; tools alone still lists")
    func binary() throws {
        let shopAPI = try Self.api("shop-3.0.yaml")
        let shop = try Self.shopOperations.map { try OpenAPIImporter(api: shopAPI).entry(operationId: $0).get() }.joined()
        let good = try Self.folder(["shop": Self.connector("shop", shop)])
        let bad = try Self.folder(["shop": Self.badShop])
        let document = Self.fixtures.appendingPathComponent("shop-3.0.yaml").path
        let clean = try KeywayRun.run(["tools", "lint", "--manifests", good.path, "--openapi", document])
        #expect(clean.status == 0 && clean.stderr == "" && clean.stdout == "keyway: 5 tools checked against \(document)\n")
        // A provider that publishes one document per API: each tool is found in whichever has it.
        let chat = Self.fixtures.appendingPathComponent("chat-3.1.json").path
        let two = try KeywayRun.run(["tools", "lint", "--manifests", good.path, "--openapi", chat, "--openapi", document])
        #expect(two.status == 0 && two.stderr == "" && two.stdout == "keyway: 5 tools checked against \(chat), \(document)\n")
        #expect(try KeywayRun.run(["tools", "lint", "--manifests", good.path, "--openapi", chat]).status == 1)
        let failing = try KeywayRun.run(["tools", "lint", "--manifests", bad.path, "--openapi", document, "--connector", "shop"])
        #expect(failing.status == 1 && failing.stderr.hasSuffix("\n23 errors, 4 warnings\n"))
        let json = try KeywayRun.run(["tools", "lint", "--manifests", bad.path, "--openapi", document, "--format", "json"])
        #expect(json.status == 1 && json.stdout.contains("\"errors\" : 23"))
        let missing = try KeywayRun.run(["tools", "lint", "--manifests", good.path, "--openapi", good.path + "/nope.yaml"])
        #expect(missing.status == 1 && missing.stderr.contains("nope.yaml:1:1: error: OpenAPI document not found; pass an existing file to --openapi"))
        let unknownConnector = try KeywayRun.run(["tools", "lint", "--manifests", good.path, "--openapi", document, "--connector", "shopp"])
        #expect(unknownConnector.status == 1 && unknownConnector.stderr == "<command line>:1:1: error: --connector names no connector 'shopp'; use one of: shop\n1 error, 0 warnings\n")
        let imported = try KeywayRun.run(["tools", "import", "--openapi", document, "--operation", "getCustomer"])
        #expect(imported.status == 0 && imported.stdout.hasPrefix("  - name: get_customer\n"))
        let unknown = try KeywayRun.run(["tools", "import", "--openapi", document, "--operation", "nope"])
        #expect(unknown.status == 1 && unknown.stdout == "")
        let list = try KeywayRun.run(["tools", "--manifests", good.path])
        #expect(list.status == 0 && list.stdout.contains("shop_get_customer"))
    }
}

extension Result {
    var failure: Failure? { if case .failure(let f) = self { f } else { nil } }
}
