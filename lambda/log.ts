// Log lines are one JSON object each. They carry the request type, the user name and the outcome,
// never an email address, an invitation URL or a whole event: QuickSight error messages can echo
// the values sent, so every free-text field goes through redact() first.

const EMAIL = /[^\s@"'<>()]+@[^\s@"'<>()]+/g;
const URL_PATTERN = /\bhttps?:\/\/[^\s"'<>]+/gi;

/** Masks anything that looks like an email address or a URL. */
export function redact(text: string): string {
  return text.replace(URL_PATTERN, '<url>').replace(EMAIL, '<email>');
}

export interface LogFields {
  readonly requestType: string;
  readonly logicalResourceId?: string;
  readonly userName?: string;
  readonly outcome: string;
  readonly detail?: string;
  readonly calls?: Record<string, number>;
}

export function logEvent(fields: LogFields, write: (line: string) => void = (line) => console.log(line)): void {
  const line: Record<string, unknown> = { ...fields };
  if (fields.detail !== undefined) line.detail = redact(fields.detail);
  if (fields.userName !== undefined) line.userName = redact(fields.userName);
  write(JSON.stringify(line));
}
