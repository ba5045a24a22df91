// The one comparison of a declared user with the live one (lib/model.ts userFieldDifferences): the
// handler decides from it whether an adoption needs UpdateUser, drift reports from it. The cases
// where "different" is a judgement: an external login of type NONE, the implied COGNITO URL, and
// a login id the declaration leaves out.
import { userFieldDifferences, type UserSpec } from '../lib/model';

const spec: UserSpec = {
  AwsAccountId: '123456789012', Namespace: 'default', IdentityRegion: 'us-east-1', Email: 'alice@example.com', IdentityType: 'QUICKSIGHT', UserRole: 'READER', UserName: 'alice',
};
const live = { IdentityType: 'QUICKSIGHT', Role: 'READER', Email: 'alice@example.com' };

test('the same user: no difference', () => {
  expect(userFieldDifferences(spec, live)).toEqual([]);
});

test('every field that differs, with both values, under the API name', () => {
  expect(userFieldDifferences({ ...spec, UserRole: 'AUTHOR', CustomPermissionsName: 'NoExports' }, { ...live, IdentityType: 'IAM', Email: 'old@example.com' })).toEqual([
    { field: 'IdentityType', declared: 'QUICKSIGHT', live: 'IAM' },
    { field: 'UserRole', declared: 'AUTHOR', live: 'READER' },
    { field: 'Email', declared: 'alice@example.com', live: 'old@example.com' },
    { field: 'CustomPermissionsName', declared: 'NoExports', live: undefined },
  ]);
});

test('an external login of type NONE is no external login', () => {
  expect(userFieldDifferences(spec, { ...live, ExternalLoginFederationProviderType: 'NONE' })).toEqual([]);
  expect(userFieldDifferences(spec, { ...live, ExternalLoginFederationProviderType: 'COGNITO' })).toEqual([
    { field: 'ExternalLoginFederationProviderType', declared: undefined, live: 'COGNITO' },
  ]);
});

test('the provider URL counts for CUSTOM_OIDC only (COGNITO\'s is implied)', () => {
  const cognito = { ...spec, ExternalLoginFederationProviderType: 'COGNITO' };
  expect(userFieldDifferences(cognito, { ...live, ExternalLoginFederationProviderType: 'COGNITO', ExternalLoginFederationProviderUrl: 'cognito-identity.amazonaws.com' })).toEqual([]);
  const oidc = { ...spec, ExternalLoginFederationProviderType: 'CUSTOM_OIDC', CustomFederationProviderUrl: 'https://idp.example.com' };
  expect(userFieldDifferences(oidc, { ...live, ExternalLoginFederationProviderType: 'CUSTOM_OIDC', ExternalLoginFederationProviderUrl: 'https://old.example.com' })).toEqual([
    { field: 'CustomFederationProviderUrl', declared: 'https://idp.example.com', live: 'https://old.example.com' },
  ]);
});

test('a login id counts only where it is declared (UpdateUser cannot remove one)', () => {
  const oidc = { ...spec, ExternalLoginFederationProviderType: 'COGNITO' };
  expect(userFieldDifferences(oidc, { ...live, ExternalLoginFederationProviderType: 'COGNITO', ExternalLoginId: 'a1' })).toEqual([]);
  expect(userFieldDifferences({ ...oidc, ExternalLoginId: 'b2' }, { ...live, ExternalLoginFederationProviderType: 'COGNITO', ExternalLoginId: 'a1' })).toEqual([
    { field: 'ExternalLoginId', declared: 'b2', live: 'a1' },
  ]);
});
