// The XML of AWS's query protocol (IAM, STS, CloudFormation), as the local endpoints answer it.

/** Escapes text for an XML element or attribute. */
export function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A query-protocol error answer (the client error type, Sender). */
export function errorXml(namespace: string, code: string, message: string, requestId: string): string {
  return `<ErrorResponse xmlns="${namespace}">
  <Error>
    <Type>Sender</Type>
    <Code>${xml(code)}</Code>
    <Message>${xml(message)}</Message>
  </Error>
  <RequestId>${requestId}</RequestId>
</ErrorResponse>
`;
}
