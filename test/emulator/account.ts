// The emulated QuickSight account: whose it is, how it authenticates its users, and what that
// refuses. A QuickSight account authenticates one way, chosen when it is subscribed
// (CreateAccountSubscription's AuthenticationMethod, the model's AuthenticationMethodOption):
// IAM_AND_QUICKSIGHT (IAM identities and QuickSight-managed users), IAM_ONLY, ACTIVE_DIRECTORY or
// IAM_IDENTITY_CENTER. RegisterUser's own page calls IdentityType "the identity type that your
// Amazon QuickSight account uses to manage the identity of users".
//
// What the public record shows, and what it leaves open (each open point is an option, so the
// handler can be tested against every plausible answer):
// - IAM Identity Center accounts refuse user and group management through the API with
//   AccessDeniedException "Operation is disabled for identities managed by IAM Identity Center":
//   CreateGroup (data-dot-all/dataall#1408, the boto3 error quoted in full) and RegisterUser (a
//   public embedding project's troubleshooting guide: "the Lambda logs an AccessDeniedException
//   from RegisterUser with the message above ... which disables API-based RegisterUser"). That
//   guide registered QUICKSIGHT/IAM users; whether RegisterUser with IdentityType
//   IAM_IDENTITY_CENTER is accepted there is not in the record: `identityCenter.registerUser`.
// - Deleting an IAM Identity Center user through the API fails (ministryofjustice/
//   analytical-platform#8098: the error is only in screenshots; AWS support answered that users
//   accessing QuickSight through IAM Identity Center cannot be deleted with QuickSight's own
//   options, only by removing them from the Identity Center group). The text is taken to be the
//   same refusal as above; `identityCenter.refusal` answers any other.
// - Roles of Identity Center users are changed by moving them between groups (QuickSight user
//   guide, "Managing access for IAM Identity Center users"); whether UpdateUser is refused is not
//   in the record: `identityCenter.updateUser` (default: accepted).
// - An IAM_AND_QUICKSIGHT (or IAM_ONLY) account asked to register an IAM_IDENTITY_CENTER user:
//   the record has no example. The default answer is InvalidParameterValueException with a message
//   of the emulator's own; `identityTypeRefusal` answers any other (AccessDeniedException, say).
// - IAM_ONLY refusing QUICKSIGHT users is inferred from the method's name, not from the record.
// - Groups of an Identity Center account are managed in IAM Identity Center and synced to
//   QuickSight (QuickSight user guide, "Creating and managing groups": "groups are not managed in
//   the QuickSight application"). The record shows the refusal for CreateGroup; the emulator refuses
//   every writing group call the same way (CreateGroup, UpdateGroup, DeleteGroup,
//   CreateGroupMembership, DeleteGroupMembership) and answers the reads. `identityCenter.groupWrites`
//   accepts them instead.
import { ApiError, apiError, type ErrorAnswer } from './errors';

export const AUTHENTICATION_METHODS = ['IAM_AND_QUICKSIGHT', 'IAM_ONLY', 'IAM_IDENTITY_CENTER'] as const;
export type AuthenticationMethod = typeof AUTHENTICATION_METHODS[number];

/** The identity types each method's users have. */
export const IDENTITY_TYPES_OF: Record<AuthenticationMethod, readonly string[]> = {
  IAM_AND_QUICKSIGHT: ['IAM', 'QUICKSIGHT'],
  IAM_ONLY: ['IAM'],
  IAM_IDENTITY_CENTER: ['IAM_IDENTITY_CENTER'],
};

/** The refusal the record shows for operations an IAM Identity Center account disables. */
export const IDENTITY_CENTER_REFUSAL: ErrorAnswer = {
  type: 'AccessDeniedException',
  message: 'Operation is disabled for identities managed by IAM Identity Center',
};

export interface IdentityCenterRules {
  /** RegisterUser with IdentityType IAM_IDENTITY_CENTER (other identity types are always refused). Default 'accept'. */
  readonly registerUser?: 'accept' | 'refuse';
  /** UpdateUser. Default 'accept'. */
  readonly updateUser?: 'accept' | 'refuse';
  /** DeleteUser and DeleteUserByPrincipalId. Default 'refuse'. */
  readonly deleteUser?: 'accept' | 'refuse';
  /** CreateGroup, UpdateGroup, DeleteGroup, CreateGroupMembership and DeleteGroupMembership. Default 'refuse'. */
  readonly groupWrites?: 'accept' | 'refuse';
  /** The answer to a refused operation. Default IDENTITY_CENTER_REFUSAL (AccessDeniedException, 401). */
  readonly refusal?: ErrorAnswer;
}

export interface AccountOptions {
  /** The AWS account that holds the QuickSight account, and the account of the caller. Default 123456789012. */
  readonly accountId?: string;
  /** Default IAM_AND_QUICKSIGHT. */
  readonly authenticationMethod?: AuthenticationMethod;
  /** What an IAM_IDENTITY_CENTER account refuses, and how. */
  readonly identityCenter?: IdentityCenterRules;
  /** The answer to RegisterUser with an identity type the account's method does not use. */
  readonly identityTypeRefusal?: ErrorAnswer;
  /**
   * DescribeAccountSubscription's AccountInfo.AuthenticationType. The model types it as a plain
   * string and the record shows no value; by default the emulator answers the method's name as
   * CreateAccountSubscription takes it. Set another value to test a reader against it.
   */
  readonly authenticationType?: string;
}

export const DEFAULT_ACCOUNT_ID = '123456789012';

export class AccountRules {
  public readonly accountId: string;
  public readonly authenticationMethod: AuthenticationMethod;
  public readonly authenticationType: string;
  private readonly identityCenter: Required<IdentityCenterRules>;
  private readonly identityTypeRefusal?: ErrorAnswer;

  constructor(options: AccountOptions = {}) {
    this.accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
    if (!/^[0-9]{12}$/.test(this.accountId)) throw new Error(`accountId must be 12 digits, got '${this.accountId}'`);
    this.authenticationMethod = options.authenticationMethod ?? 'IAM_AND_QUICKSIGHT';
    if (!AUTHENTICATION_METHODS.includes(this.authenticationMethod)) {
      throw new Error(`authenticationMethod must be one of ${AUTHENTICATION_METHODS.join(', ')}, got '${this.authenticationMethod}'`);
    }
    this.authenticationType = options.authenticationType ?? this.authenticationMethod;
    this.identityCenter = { registerUser: 'accept', updateUser: 'accept', deleteUser: 'refuse', groupWrites: 'refuse', refusal: IDENTITY_CENTER_REFUSAL, ...options.identityCenter };
    this.identityTypeRefusal = options.identityTypeRefusal;
  }

  public get usesIdentityCenter(): boolean {
    return this.authenticationMethod === 'IAM_IDENTITY_CENTER';
  }

  /** Whether users of this identity type can exist in the account. */
  public holds(identityType: string): boolean {
    return IDENTITY_TYPES_OF[this.authenticationMethod].includes(identityType);
  }

  /** Throws the account's refusal of a RegisterUser with this identity type, if it refuses it. */
  public checkRegister(identityType: string): void {
    if (this.usesIdentityCenter) {
      if (identityType !== 'IAM_IDENTITY_CENTER' || this.identityCenter.registerUser === 'refuse') throw apiError(this.identityCenter.refusal);
      return;
    }
    if (!this.holds(identityType)) {
      throw this.identityTypeRefusal ? apiError(this.identityTypeRefusal) : new ApiError('InvalidParameterValueException',
        `IdentityType ${identityType} is not available: this QuickSight account authenticates with ${this.authenticationMethod}, whose users are ${IDENTITY_TYPES_OF[this.authenticationMethod].join(' or ')}`);
    }
  }

  public checkUpdate(): void {
    if (this.usesIdentityCenter && this.identityCenter.updateUser === 'refuse') throw apiError(this.identityCenter.refusal);
  }

  public checkDelete(): void {
    if (this.usesIdentityCenter && this.identityCenter.deleteUser === 'refuse') throw apiError(this.identityCenter.refusal);
  }

  /** The writing group calls (groups and memberships): refused in an IAM Identity Center account (by default). */
  public checkGroupWrite(): void {
    if (this.usesIdentityCenter && this.identityCenter.groupWrites === 'refuse') throw apiError(this.identityCenter.refusal);
  }

  /** DescribeAccountSubscription's AccountInfo (members of the model's AccountInfo shape). */
  public accountInfo(region: string): Record<string, unknown> {
    return {
      AccountName: `emulated-${this.accountId}`,
      Edition: 'ENTERPRISE',
      NotificationEmail: `quicksight-admin@${this.accountId}.example.com`,
      AuthenticationType: this.authenticationType,
      // Not documented: the values the Terraform provider waits for (ACCOUNT_CREATED, OK, ...).
      AccountSubscriptionStatus: 'ACCOUNT_CREATED',
      IAMIdentityCenterInstanceArn: this.usesIdentityCenter ? `arn:aws:sso:::instance/ssoins-${this.accountId.slice(0, 4)}emulated${region.length}` : undefined,
    };
  }
}
