/** Fills a SQL template: `{{schema}}` becomes the quoted identifier, `{{schema_name}}` the name. */
export function renderSql(template: string, schema: string): string {
  return template.replaceAll('{{schema}}', `"${schema}"`).replaceAll('{{schema_name}}', schema);
}
