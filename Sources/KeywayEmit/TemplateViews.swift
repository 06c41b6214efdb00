// Every emitter view as templates see it: one member per stored property, named as the
// property, in declaration order (absent optionals left out, with `members`). A view type gains a property
// here when it gains one in its declaration; `TemplateViewTests` compares these with the
// views' own properties (by reflection, in the tests only), so a forgotten one fails.

extension ToolsEmitter.View: TemplateViewValue {
    var templateValue: TemplateValue {
        .object([("marker", marker.templateValue), ("slugComment", slugComment.templateValue), ("nameComment", nameComment.templateValue),
                  ("providerKeyComment", providerKeyComment.templateValue), ("typeName", typeName.templateValue), ("providerConfigKey", providerConfigKey.templateValue),
                  ("multipleConnections", multipleConnections.templateValue), ("tools", tools.templateValue)])
    }
}

extension ToolsEmitter.View.ToolView: TemplateViewValue {
    var templateValue: TemplateValue {
        .object([("typeName", typeName.templateValue), ("qualifiedName", qualifiedName.templateValue), ("name", name.templateValue), ("description", description.templateValue),
                  ("descriptionComment", descriptionComment.templateValue), ("methodName", methodName.templateValue), ("endpoint", endpoint.templateValue),
                  ("endpointComment", endpointComment.templateValue), ("scopes", scopes.templateValue), ("providerConfigKey", providerConfigKey.templateValue),
                  ("custom", custom.templateValue), ("customFile", customFile.templateValue), ("conformance", conformance.templateValue),
                  ("formEncoded", formEncoded.templateValue), ("contract", contract.templateValue), ("structs", structs.templateValue)])
    }
}

extension ToolsEmitter.View.Struct: TemplateViewValue {
    var templateValue: TemplateValue {
        .object([("structName", structName.templateValue), ("structConformance", structConformance.templateValue), ("fields", fields.templateValue),
                  ("hasFields", hasFields.templateValue), ("initParameters", initParameters.templateValue)])
    }
}

extension ToolsEmitter.View.Field: TemplateViewValue {
    var templateValue: TemplateValue {
        .object([("property", property.templateValue), ("jsonName", jsonName.templateValue), ("swiftType", swiftType.templateValue), ("doc", doc.templateValue)])
    }
}

extension ToolsEmitter.RegistryView: TemplateViewValue {
    var templateValue: TemplateValue { .object([("marker", marker.templateValue), ("tools", tools.templateValue)]) }
}

extension ToolsEmitter.RegistryView.Entry: TemplateViewValue {
    var templateValue: TemplateValue { .object([("reference", reference.templateValue)]) }
}

extension ChecklistEmitter.View: TemplateViewValue {
    var templateValue: TemplateValue {
        .members([("marker", marker.templateValue), ("name", name.templateValue), ("key", key.templateValue), ("keyText", keyText.templateValue), ("provider", provider.templateValue),
                  ("authMode", authMode.templateValue), ("console", console?.templateValue), ("apis", apis.templateValue), ("review", review.templateValue), ("redirects", redirects.templateValue),
                  ("scopes", scopes.templateValue), ("secrets", secrets.templateValue), ("testTool", testTool?.templateValue), ("testRequest", testRequest.templateValue)])
    }
}

extension ChecklistEmitter.View.API: TemplateViewValue {
    var templateValue: TemplateValue { .object([("api", api.templateValue)]) }
}

extension ChecklistEmitter.View.Redirect: TemplateViewValue {
    var templateValue: TemplateValue { .object([("environment", environment.templateValue), ("uri", uri.templateValue)]) }
}

extension ChecklistEmitter.View.Scope: TemplateViewValue {
    var templateValue: TemplateValue { .object([("scope", scope.templateValue), ("level", level.templateValue), ("reason", reason.templateValue), ("tools", tools.templateValue)]) }
}

extension ChecklistEmitter.View.Secret: TemplateViewValue {
    var templateValue: TemplateValue { .object([("secret", secret.templateValue), ("variable", variable.templateValue)]) }
}

extension ChecklistEmitter.IndexView: TemplateViewValue {
    var templateValue: TemplateValue { .object([("marker", marker.templateValue), ("integrations", integrations.templateValue)]) }
}

extension ChecklistEmitter.IndexView.Entry: TemplateViewValue {
    var templateValue: TemplateValue { .object([("name", name.templateValue), ("file", file.templateValue), ("summary", summary.templateValue)]) }
}

extension ScopesReportEmitter.View: TemplateViewValue {
    var templateValue: TemplateValue { .object([("marker", marker.templateValue), ("rows", rows.templateValue)]) }
}

extension ScopesReportEmitter.View.Row: TemplateViewValue {
    var templateValue: TemplateValue {
        .object([("integration", integration.templateValue), ("scope", scope.templateValue), ("level", level.templateValue), ("reason", reason.templateValue), ("tools", tools.templateValue), ("flags", flags.templateValue)])
    }
}

extension CatalogEmitter.View: TemplateViewValue {
    var templateValue: TemplateValue { .object([("marker", marker.templateValue), ("integrations", integrations.templateValue), ("authModes", authModes.templateValue)]) }
}

extension CatalogEmitter.View.IntegrationEntry: TemplateViewValue {
    var templateValue: TemplateValue {
        .object([("caseName", caseName.templateValue), ("key", key.templateValue), ("provider", provider.templateValue), ("name", name.templateValue), ("category", category.templateValue),
                  ("description", description.templateValue), ("authMode", authMode.templateValue), ("authModeCase", authModeCase.templateValue), ("scopes", scopes.templateValue),
                  ("connectors", connectors.templateValue)])
    }
}

extension CatalogEmitter.View.Scope: TemplateViewValue {
    var templateValue: TemplateValue { .object([("scope", scope.templateValue), ("reason", reason.templateValue)]) }
}

extension CatalogEmitter.View.Connector: TemplateViewValue {
    var templateValue: TemplateValue {
        .object([("slug", slug.templateValue), ("name", name.templateValue), ("multipleConnections", multipleConnections.templateValue), ("tools", tools.templateValue)])
    }
}

extension CatalogEmitter.View.Tool: TemplateViewValue {
    var templateValue: TemplateValue {
        .object([("name", name.templateValue), ("description", description.templateValue), ("method", method.templateValue), ("endpoint", endpoint.templateValue), ("scopes", scopes.templateValue)])
    }
}

extension CatalogEmitter.View.AuthModeCase: TemplateViewValue {
    var templateValue: TemplateValue { .object([("caseName", caseName.templateValue), ("rawValue", rawValue.templateValue)]) }
}

extension RLSTestsEmitter.View: TemplateViewValue {
    var templateValue: TemplateValue {
        .object([("marker", marker.templateValue), ("planCount", planCount.templateValue), ("key", key.templateValue), ("slug", slug.templateValue), ("claimPaths", claimPaths.templateValue),
                  ("claimsA1", claimsA1.templateValue), ("claimsA2", claimsA2.templateValue), ("claimsB", claimsB.templateValue), ("integrationColumns", integrationColumns.templateValue),
                  ("connectorColumns", connectorColumns.templateValue), ("singleConnector", singleConnector.templateValue), ("multipleConnector", multipleConnector.templateValue),
                  ("catalogTables", catalogTables.templateValue)])
    }
}

extension RLSTestsEmitter.View.Column: TemplateViewValue {
    var templateValue: TemplateValue { .object([("column", column.templateValue), ("value", value.templateValue)]) }
}

extension RLSTestsEmitter.View.ConnectorRow: TemplateViewValue {
    var templateValue: TemplateValue { .object([("slug", slug.templateValue), ("key", key.templateValue)]) }
}

extension RLSTestsEmitter.View.CatalogTable: TemplateViewValue {
    var templateValue: TemplateValue { .object([("table", table.templateValue)]) }
}

extension MigrationEmitter.View: TemplateViewValue {
    var templateValue: TemplateValue {
        .object([("version", version.templateValue), ("name", name.templateValue), ("initial", initial.templateValue), ("definesTenantFunctions", definesTenantFunctions.templateValue),
                  ("upgradeToFormat2", upgradeToFormat2.templateValue), ("createsTrustBoundary", createsTrustBoundary.templateValue), ("userClaims", userClaims.templateValue),
                  ("organizationClaims", organizationClaims.templateValue), ("ownerExpression", ownerExpression.templateValue), ("userExpression", userExpression.templateValue),
                  ("catalogTables", catalogTables.templateValue), ("hasStatements", hasStatements.templateValue), ("statements", statements.templateValue)])
    }
}

extension MigrationEmitter.View.Table: TemplateViewValue {
    var templateValue: TemplateValue { .object([("table", table.templateValue)]) }
}
