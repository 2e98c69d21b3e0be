/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type DeadLetterResolution =
  | 'IGNORED'
  | 'RESOLVED';

export type DeadLetterStatus =
  | 'IGNORED'
  | 'PENDING'
  | 'RESOLVED'
  | 'RETRYING';

export type DecisionLabel =
  | 'APPROVE'
  | 'REJECT'
  | 'REVISE';

export type FailureFilter = {
  category?: string | null | undefined;
  errorCode?: string | null | undefined;
  matchType?: MatchType | null | undefined;
  recoveryStatus?: RecoveryStatus | null | undefined;
  runId?: string | null | undefined;
  service?: string | null | undefined;
  severity?: Severity | null | undefined;
  /** Recorded at or after. */
  since?: string | null | undefined;
  /** Recorded before. */
  until?: string | null | undefined;
};

export type FailureGroupFilter = {
  errorCode?: string | null | undefined;
  service?: string | null | undefined;
  status?: RecoveryStatus | null | undefined;
};

export type MatchType =
  | 'EXACT'
  | 'KEYWORD'
  | 'NONE'
  | 'PATTERN'
  | 'PREFIX';

export type PersistenceState =
  | 'DEAD_LETTERED'
  | 'PENDING'
  | 'SPOOLED'
  | 'VERIFIED';

export type RecoveryStatus =
  | 'IGNORED'
  | 'RECOVERED'
  | 'REGRESSED'
  | 'UNRECOVERED';

/** A recovery decision: RECOVERED, IGNORED, or back to UNRECOVERED. */
export type RecoveryUpdateInput = {
  /** Who decided; `anonymous` when not given. */
  by?: string | null | undefined;
  /** Why; kept in the recovery history. */
  note?: string | null | undefined;
  status: RecoveryStatus;
};

export type ReviewRunFilter = {
  decision?: DecisionLabel | null | undefined;
  runType?: ReviewRunType | null | undefined;
  /** Runs created at or after this time. */
  since?: string | null | undefined;
  status?: Array<ReviewStatus> | null | undefined;
};

export type ReviewRunType =
  | 'INITIAL'
  | 'REVISION';

export type ReviewStatus =
  | 'CANCELLED'
  | 'COMPLETED'
  | 'FAILED'
  | 'QUEUED'
  | 'RUNNING';

/** A revision of a finished review: a new idea text, or notes on what changed. */
export type ReviseReviewInput = {
  /** The parent’s blocking issues this revision addresses. */
  addressedIssues?: Array<string>;
  editNotes?: string | null | undefined;
  /** The revised idea; the parent’s when omitted. */
  idea?: string | null | undefined;
  /** The same key always returns the same run. */
  idempotencyKey?: string | null | undefined;
};

export type RunStatus =
  | 'CANCELLED'
  | 'DONE'
  | 'ERROR'
  | 'QUEUED'
  | 'RUNNING'
  | 'SCORING';

export type ScorerKind =
  | 'LLM'
  | 'RULES';

/** Narrows `scoringRuns`; every field given must match. */
export type ScoringRunFilter = {
  /** `owner/name` */
  repository?: string | null | undefined;
  scorer?: ScorerKind | null | undefined;
  /** Any of these statuses. */
  status?: Array<RunStatus> | null | undefined;
};

/** The pull request to score. */
export type ScoringSubjectInput = {
  /** Unified diff. Size limit: ASSAY_MAX_DIFF_BYTES. */
  diff: string;
  prNumber?: number | null | undefined;
  /** `owner/name` */
  repository: string;
  title?: string | null | undefined;
};

export type Severity =
  | 'CRITICAL'
  | 'HIGH'
  | 'LOW'
  | 'MEDIUM';

/** A proposal to review. */
export type StartReviewInput = {
  extraContext?: string | null | undefined;
  idea: string;
  /** The same key always returns the same run. */
  idempotencyKey?: string | null | undefined;
};

export type StartScoringRunInput = {
  /** The same key always returns the same run. */
  idempotencyKey?: string | null | undefined;
  scorer?: ScorerKind;
  subject: ScoringSubjectInput;
};

export type DeadLetterFieldsFragment = { id: string, write: string, idempotencyKey: string, errorClass: string, errorCode: string, errorMessage: string, retryCount: number, status: DeadLetterStatus, resolutionNote: string | null, createdAt: string, resolvedAt: string | null };

export type DeadLettersQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
  status?: DeadLetterStatus | null | undefined;
}>;


export type DeadLettersQuery = { persistenceFailures: { nodes: Array<{ id: string, write: string, idempotencyKey: string, errorClass: string, errorCode: string, errorMessage: string, retryCount: number, status: DeadLetterStatus, resolutionNote: string | null, createdAt: string, resolvedAt: string | null }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type ReplayDeadLetterMutationVariables = Exact<{
  id: string | number;
}>;


export type ReplayDeadLetterMutation = { replayPersistenceFailure: { id: string, write: string, idempotencyKey: string, errorClass: string, errorCode: string, errorMessage: string, retryCount: number, status: DeadLetterStatus, resolutionNote: string | null, createdAt: string, resolvedAt: string | null } };

export type ResolveDeadLetterMutationVariables = Exact<{
  id: string | number;
  resolution: DeadLetterResolution;
  note?: string | null | undefined;
}>;


export type ResolveDeadLetterMutation = { resolvePersistenceFailure: { id: string, write: string, idempotencyKey: string, errorClass: string, errorCode: string, errorMessage: string, retryCount: number, status: DeadLetterStatus, resolutionNote: string | null, createdAt: string, resolvedAt: string | null } };

export type FailureFieldsFragment = { id: string, runId: string | null, service: string, errorCode: string, errorMessage: string | null, matchType: MatchType, matchConfidence: number, category: string | null, severity: Severity | null, retryable: boolean, recoveryMode: string | null, recoverySuggestion: string | null, recoveryStatus: RecoveryStatus, recoveredAt: string | null, recoveredBy: string | null, stage: string | null, traceId: string | null, createdAt: string };

export type FailureGroupFieldsFragment = { id: string, service: string, errorCode: string, sampleMessage: string | null, count: number, runsAffected: number, firstSeen: string, lastSeen: string, status: RecoveryStatus };

export type FailuresQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
  filter?: FailureFilter | null | undefined;
}>;


export type FailuresQuery = { failures: { nodes: Array<{ id: string, runId: string | null, service: string, errorCode: string, errorMessage: string | null, matchType: MatchType, matchConfidence: number, category: string | null, severity: Severity | null, retryable: boolean, recoveryMode: string | null, recoverySuggestion: string | null, recoveryStatus: RecoveryStatus, recoveredAt: string | null, recoveredBy: string | null, stage: string | null, traceId: string | null, createdAt: string }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type FailureQueryVariables = Exact<{
  id: string | number;
}>;


export type FailureQuery = { failure: { context: unknown, id: string, runId: string | null, service: string, errorCode: string, errorMessage: string | null, matchType: MatchType, matchConfidence: number, category: string | null, severity: Severity | null, retryable: boolean, recoveryMode: string | null, recoverySuggestion: string | null, recoveryStatus: RecoveryStatus, recoveredAt: string | null, recoveredBy: string | null, stage: string | null, traceId: string | null, createdAt: string, catalogEntry: { errorCode: string, title: string } | null, group: { id: string, service: string, errorCode: string, sampleMessage: string | null, count: number, runsAffected: number, firstSeen: string, lastSeen: string, status: RecoveryStatus } | null, recoveryHistory: Array<{ fromStatus: RecoveryStatus, toStatus: RecoveryStatus, note: string | null, changedBy: string, changedAt: string }> } | null };

export type FailureGroupsQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
  filter?: FailureGroupFilter | null | undefined;
}>;


export type FailureGroupsQuery = { failureGroups: { nodes: Array<{ id: string, service: string, errorCode: string, sampleMessage: string | null, count: number, runsAffected: number, firstSeen: string, lastSeen: string, status: RecoveryStatus }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type FailureStatsQueryVariables = Exact<{
  sinceHours: number;
}>;


export type FailureStatsQuery = { failureStats: { sinceHours: number, total: number, matched: number, matchRate: number, recovered: number, recoveryRate: number, meanTimeToRecoverySeconds: number | null, topCodes: Array<{ key: string, count: number }>, topCategories: Array<{ key: string, count: number }> } };

export type UpdateFailureRecoveryMutationVariables = Exact<{
  id: string | number;
  input: RecoveryUpdateInput;
}>;


export type UpdateFailureRecoveryMutation = { updateFailureRecovery: { id: string, recoveryStatus: RecoveryStatus } };

export type UpdateFailureGroupRecoveryMutationVariables = Exact<{
  id: string | number;
  input: RecoveryUpdateInput;
}>;


export type UpdateFailureGroupRecoveryMutation = { updateFailureGroupRecovery: { id: string, status: RecoveryStatus } };

export type ReviewRunFieldsFragment = { id: string, status: ReviewStatus, runType: ReviewRunType, progressStep: string | null, progressPct: number, attempt: number, traceId: string | null, idempotencyKey: string | null, model: string, personaSetVersion: string, decisionLabel: DecisionLabel | null, overallConfidence: number | null, createdAt: string, startedAt: string | null, finishedAt: string | null, updatedAt: string, error: { code: string, message: string, retryable: boolean, traceId: string | null } | null, decision: { label: DecisionLabel, overallWeightedConfidence: number, rationale: string, dissent: Array<string>, partial: boolean, missingPersonas: Array<string> } | null, personaReviews: Array<{ personaId: string, personaName: string, weight: number, confidence: number, verdict: string, summary: string, blockingIssues: Array<string>, securityConcerns: Array<string>, securityBlocking: boolean, attemptCount: number, latencyMs: number | null, error: { code: string, message: string } | null }> };

export type StartReviewMutationVariables = Exact<{
  input: StartReviewInput;
}>;


export type StartReviewMutation = { startReview: { id: string, status: ReviewStatus, runType: ReviewRunType, progressStep: string | null, progressPct: number, attempt: number, traceId: string | null, idempotencyKey: string | null, model: string, personaSetVersion: string, decisionLabel: DecisionLabel | null, overallConfidence: number | null, createdAt: string, startedAt: string | null, finishedAt: string | null, updatedAt: string, error: { code: string, message: string, retryable: boolean, traceId: string | null } | null, decision: { label: DecisionLabel, overallWeightedConfidence: number, rationale: string, dissent: Array<string>, partial: boolean, missingPersonas: Array<string> } | null, personaReviews: Array<{ personaId: string, personaName: string, weight: number, confidence: number, verdict: string, summary: string, blockingIssues: Array<string>, securityConcerns: Array<string>, securityBlocking: boolean, attemptCount: number, latencyMs: number | null, error: { code: string, message: string } | null }> } };

export type ReviseReviewMutationVariables = Exact<{
  runId: string | number;
  input: ReviseReviewInput;
}>;


export type ReviseReviewMutation = { reviseReview: { id: string, status: ReviewStatus, runType: ReviewRunType, progressStep: string | null, progressPct: number, attempt: number, traceId: string | null, idempotencyKey: string | null, model: string, personaSetVersion: string, decisionLabel: DecisionLabel | null, overallConfidence: number | null, createdAt: string, startedAt: string | null, finishedAt: string | null, updatedAt: string, error: { code: string, message: string, retryable: boolean, traceId: string | null } | null, decision: { label: DecisionLabel, overallWeightedConfidence: number, rationale: string, dissent: Array<string>, partial: boolean, missingPersonas: Array<string> } | null, personaReviews: Array<{ personaId: string, personaName: string, weight: number, confidence: number, verdict: string, summary: string, blockingIssues: Array<string>, securityConcerns: Array<string>, securityBlocking: boolean, attemptCount: number, latencyMs: number | null, error: { code: string, message: string } | null }> } };

export type ReviewRunQueryVariables = Exact<{
  id: string | number;
}>;


export type ReviewRunQuery = { reviewRun: { id: string, status: ReviewStatus, runType: ReviewRunType, progressStep: string | null, progressPct: number, attempt: number, traceId: string | null, idempotencyKey: string | null, model: string, personaSetVersion: string, decisionLabel: DecisionLabel | null, overallConfidence: number | null, createdAt: string, startedAt: string | null, finishedAt: string | null, updatedAt: string, error: { code: string, message: string, retryable: boolean, traceId: string | null } | null, decision: { label: DecisionLabel, overallWeightedConfidence: number, rationale: string, dissent: Array<string>, partial: boolean, missingPersonas: Array<string> } | null, personaReviews: Array<{ personaId: string, personaName: string, weight: number, confidence: number, verdict: string, summary: string, blockingIssues: Array<string>, securityConcerns: Array<string>, securityBlocking: boolean, attemptCount: number, latencyMs: number | null, error: { code: string, message: string } | null }> } | null };

export type ReviewRunDetailQueryVariables = Exact<{
  id: string | number;
}>;


export type ReviewRunDetailQuery = { reviewRun: { idea: string, id: string, status: ReviewStatus, runType: ReviewRunType, progressStep: string | null, progressPct: number, attempt: number, traceId: string | null, idempotencyKey: string | null, model: string, personaSetVersion: string, decisionLabel: DecisionLabel | null, overallConfidence: number | null, createdAt: string, startedAt: string | null, finishedAt: string | null, updatedAt: string, parentRun: { id: string } | null, failures: Array<{ id: string, runId: string | null, service: string, errorCode: string, errorMessage: string | null, matchType: MatchType, matchConfidence: number, category: string | null, severity: Severity | null, retryable: boolean, recoveryMode: string | null, recoverySuggestion: string | null, recoveryStatus: RecoveryStatus, recoveredAt: string | null, recoveredBy: string | null, stage: string | null, traceId: string | null, createdAt: string }>, error: { code: string, message: string, retryable: boolean, traceId: string | null } | null, decision: { label: DecisionLabel, overallWeightedConfidence: number, rationale: string, dissent: Array<string>, partial: boolean, missingPersonas: Array<string> } | null, personaReviews: Array<{ personaId: string, personaName: string, weight: number, confidence: number, verdict: string, summary: string, blockingIssues: Array<string>, securityConcerns: Array<string>, securityBlocking: boolean, attemptCount: number, latencyMs: number | null, error: { code: string, message: string } | null }> } | null };

export type ReviewRunsQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
  filter?: ReviewRunFilter | null | undefined;
}>;


export type ReviewRunsQuery = { reviewRuns: { nodes: Array<{ id: string, status: ReviewStatus, runType: ReviewRunType, progressPct: number, decisionLabel: DecisionLabel | null, overallConfidence: number | null, createdAt: string }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type CancelReviewMutationVariables = Exact<{
  runId: string | number;
}>;


export type CancelReviewMutation = { cancelReview: { id: string, status: ReviewStatus } };

export type ReviewRunProgressSubscriptionVariables = Exact<{
  runId: string | number;
}>;


export type ReviewRunProgressSubscription = { reviewRunProgress: { runId: string, status: ReviewStatus, progressStep: string | null, progressPct: number, attempt: number, event: string | null, personaId: string | null, at: string } };

export type RunKindQueryVariables = Exact<{
  id: string | number;
}>;


export type RunKindQuery = { scoringRun: { id: string } | null, reviewRun: { id: string } | null };

export type ScoringRunFieldsFragment = { id: string, status: RunStatus, scorer: ScorerKind, progressStep: string | null, progressPct: number, attempt: number, traceId: string | null, idempotencyKey: string | null, persistence: PersistenceState, createdAt: string, startedAt: string | null, finishedAt: string | null, updatedAt: string, subject: { repository: string, prNumber: number | null, title: string | null, diffBytes: number }, error: { code: string, message: string, retryable: boolean, traceId: string | null } | null, score: { value: number, band: string, scorerVersion: string, contentHash: string, verifiedAt: string | null, criteria: Array<{ criterion: string, score: number, weight: number, detail: string }>, violations: Array<{ file: string, line: number | null, rule: string, severity: string, message: string }> } | null };

export type StartScoringRunMutationVariables = Exact<{
  input: StartScoringRunInput;
}>;


export type StartScoringRunMutation = { startScoringRun: { id: string, status: RunStatus, scorer: ScorerKind, progressStep: string | null, progressPct: number, attempt: number, traceId: string | null, idempotencyKey: string | null, persistence: PersistenceState, createdAt: string, startedAt: string | null, finishedAt: string | null, updatedAt: string, subject: { repository: string, prNumber: number | null, title: string | null, diffBytes: number }, error: { code: string, message: string, retryable: boolean, traceId: string | null } | null, score: { value: number, band: string, scorerVersion: string, contentHash: string, verifiedAt: string | null, criteria: Array<{ criterion: string, score: number, weight: number, detail: string }>, violations: Array<{ file: string, line: number | null, rule: string, severity: string, message: string }> } | null } };

export type ScoringRunQueryVariables = Exact<{
  id: string | number;
}>;


export type ScoringRunQuery = { scoringRun: { id: string, status: RunStatus, scorer: ScorerKind, progressStep: string | null, progressPct: number, attempt: number, traceId: string | null, idempotencyKey: string | null, persistence: PersistenceState, createdAt: string, startedAt: string | null, finishedAt: string | null, updatedAt: string, subject: { repository: string, prNumber: number | null, title: string | null, diffBytes: number }, error: { code: string, message: string, retryable: boolean, traceId: string | null } | null, score: { value: number, band: string, scorerVersion: string, contentHash: string, verifiedAt: string | null, criteria: Array<{ criterion: string, score: number, weight: number, detail: string }>, violations: Array<{ file: string, line: number | null, rule: string, severity: string, message: string }> } | null } | null };

export type ScoringRunDetailQueryVariables = Exact<{
  id: string | number;
}>;


export type ScoringRunDetailQuery = { scoringRun: { id: string, status: RunStatus, scorer: ScorerKind, progressStep: string | null, progressPct: number, attempt: number, traceId: string | null, idempotencyKey: string | null, persistence: PersistenceState, createdAt: string, startedAt: string | null, finishedAt: string | null, updatedAt: string, failures: Array<{ id: string, runId: string | null, service: string, errorCode: string, errorMessage: string | null, matchType: MatchType, matchConfidence: number, category: string | null, severity: Severity | null, retryable: boolean, recoveryMode: string | null, recoverySuggestion: string | null, recoveryStatus: RecoveryStatus, recoveredAt: string | null, recoveredBy: string | null, stage: string | null, traceId: string | null, createdAt: string }>, subject: { repository: string, prNumber: number | null, title: string | null, diffBytes: number }, error: { code: string, message: string, retryable: boolean, traceId: string | null } | null, score: { value: number, band: string, scorerVersion: string, contentHash: string, verifiedAt: string | null, criteria: Array<{ criterion: string, score: number, weight: number, detail: string }>, violations: Array<{ file: string, line: number | null, rule: string, severity: string, message: string }> } | null } | null };

export type ScoringRunsQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
  filter?: ScoringRunFilter | null | undefined;
}>;


export type ScoringRunsQuery = { scoringRuns: { nodes: Array<{ id: string, status: RunStatus, scorer: ScorerKind, progressPct: number, persistence: PersistenceState, createdAt: string, subject: { repository: string, prNumber: number | null }, score: { value: number, band: string } | null }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type CancelScoringRunMutationVariables = Exact<{
  id: string | number;
}>;


export type CancelScoringRunMutation = { cancelScoringRun: { id: string, status: RunStatus } };

export type ScoringRunProgressSubscriptionVariables = Exact<{
  runId: string | number;
}>;


export type ScoringRunProgressSubscription = { scoringRunProgress: { runId: string, status: RunStatus, progressStep: string | null, progressPct: number, attempt: number, at: string } };

export type UnpersistedScoresQueryVariables = Exact<{
  sinceHours: number;
}>;


export type UnpersistedScoresQuery = { unpersistedScores: Array<{ id: string, status: RunStatus, persistence: PersistenceState, finishedAt: string | null }> };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const DeadLetterFieldsFragmentDoc = new TypedDocumentString(`
    fragment DeadLetterFields on PersistenceFailure {
  id
  write
  idempotencyKey
  errorClass
  errorCode
  errorMessage
  retryCount
  status
  resolutionNote
  createdAt
  resolvedAt
}
    `, {"fragmentName":"DeadLetterFields"}) as unknown as TypedDocumentString<DeadLetterFieldsFragment, unknown>;
export const FailureFieldsFragmentDoc = new TypedDocumentString(`
    fragment FailureFields on FailureMatch {
  id
  runId
  service
  errorCode
  errorMessage
  matchType
  matchConfidence
  category
  severity
  retryable
  recoveryMode
  recoverySuggestion
  recoveryStatus
  recoveredAt
  recoveredBy
  stage
  traceId
  createdAt
}
    `, {"fragmentName":"FailureFields"}) as unknown as TypedDocumentString<FailureFieldsFragment, unknown>;
export const FailureGroupFieldsFragmentDoc = new TypedDocumentString(`
    fragment FailureGroupFields on FailureGroup {
  id
  service
  errorCode
  sampleMessage
  count
  runsAffected
  firstSeen
  lastSeen
  status
}
    `, {"fragmentName":"FailureGroupFields"}) as unknown as TypedDocumentString<FailureGroupFieldsFragment, unknown>;
export const ReviewRunFieldsFragmentDoc = new TypedDocumentString(`
    fragment ReviewRunFields on ReviewRun {
  id
  status
  runType
  progressStep
  progressPct
  attempt
  traceId
  idempotencyKey
  model
  personaSetVersion
  decisionLabel
  overallConfidence
  createdAt
  startedAt
  finishedAt
  updatedAt
  error {
    code
    message
    retryable
    traceId
  }
  decision {
    label
    overallWeightedConfidence
    rationale
    dissent
    partial
    missingPersonas
  }
  personaReviews {
    personaId
    personaName
    weight
    confidence
    verdict
    summary
    blockingIssues
    securityConcerns
    securityBlocking
    attemptCount
    latencyMs
    error {
      code
      message
    }
  }
}
    `, {"fragmentName":"ReviewRunFields"}) as unknown as TypedDocumentString<ReviewRunFieldsFragment, unknown>;
export const ScoringRunFieldsFragmentDoc = new TypedDocumentString(`
    fragment ScoringRunFields on ScoringRun {
  id
  status
  scorer
  progressStep
  progressPct
  attempt
  traceId
  idempotencyKey
  persistence
  createdAt
  startedAt
  finishedAt
  updatedAt
  subject {
    repository
    prNumber
    title
    diffBytes
  }
  error {
    code
    message
    retryable
    traceId
  }
  score {
    value
    band
    scorerVersion
    contentHash
    verifiedAt
    criteria {
      criterion
      score
      weight
      detail
    }
    violations {
      file
      line
      rule
      severity
      message
    }
  }
}
    `, {"fragmentName":"ScoringRunFields"}) as unknown as TypedDocumentString<ScoringRunFieldsFragment, unknown>;
export const DeadLettersDocument = new TypedDocumentString(`
    query DeadLetters($first: Int, $after: String, $status: DeadLetterStatus) {
  persistenceFailures(first: $first, after: $after, status: $status) {
    nodes {
      ...DeadLetterFields
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
    fragment DeadLetterFields on PersistenceFailure {
  id
  write
  idempotencyKey
  errorClass
  errorCode
  errorMessage
  retryCount
  status
  resolutionNote
  createdAt
  resolvedAt
}`) as unknown as TypedDocumentString<DeadLettersQuery, DeadLettersQueryVariables>;
export const ReplayDeadLetterDocument = new TypedDocumentString(`
    mutation ReplayDeadLetter($id: ID!) {
  replayPersistenceFailure(id: $id) {
    ...DeadLetterFields
  }
}
    fragment DeadLetterFields on PersistenceFailure {
  id
  write
  idempotencyKey
  errorClass
  errorCode
  errorMessage
  retryCount
  status
  resolutionNote
  createdAt
  resolvedAt
}`) as unknown as TypedDocumentString<ReplayDeadLetterMutation, ReplayDeadLetterMutationVariables>;
export const ResolveDeadLetterDocument = new TypedDocumentString(`
    mutation ResolveDeadLetter($id: ID!, $resolution: DeadLetterResolution!, $note: String) {
  resolvePersistenceFailure(id: $id, resolution: $resolution, note: $note) {
    ...DeadLetterFields
  }
}
    fragment DeadLetterFields on PersistenceFailure {
  id
  write
  idempotencyKey
  errorClass
  errorCode
  errorMessage
  retryCount
  status
  resolutionNote
  createdAt
  resolvedAt
}`) as unknown as TypedDocumentString<ResolveDeadLetterMutation, ResolveDeadLetterMutationVariables>;
export const FailuresDocument = new TypedDocumentString(`
    query Failures($first: Int, $after: String, $filter: FailureFilter) {
  failures(first: $first, after: $after, filter: $filter) {
    nodes {
      ...FailureFields
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
    fragment FailureFields on FailureMatch {
  id
  runId
  service
  errorCode
  errorMessage
  matchType
  matchConfidence
  category
  severity
  retryable
  recoveryMode
  recoverySuggestion
  recoveryStatus
  recoveredAt
  recoveredBy
  stage
  traceId
  createdAt
}`) as unknown as TypedDocumentString<FailuresQuery, FailuresQueryVariables>;
export const FailureDocument = new TypedDocumentString(`
    query Failure($id: ID!) {
  failure(id: $id) {
    ...FailureFields
    context
    catalogEntry {
      errorCode
      title
    }
    group {
      ...FailureGroupFields
    }
    recoveryHistory {
      fromStatus
      toStatus
      note
      changedBy
      changedAt
    }
  }
}
    fragment FailureFields on FailureMatch {
  id
  runId
  service
  errorCode
  errorMessage
  matchType
  matchConfidence
  category
  severity
  retryable
  recoveryMode
  recoverySuggestion
  recoveryStatus
  recoveredAt
  recoveredBy
  stage
  traceId
  createdAt
}
fragment FailureGroupFields on FailureGroup {
  id
  service
  errorCode
  sampleMessage
  count
  runsAffected
  firstSeen
  lastSeen
  status
}`) as unknown as TypedDocumentString<FailureQuery, FailureQueryVariables>;
export const FailureGroupsDocument = new TypedDocumentString(`
    query FailureGroups($first: Int, $after: String, $filter: FailureGroupFilter) {
  failureGroups(first: $first, after: $after, filter: $filter) {
    nodes {
      ...FailureGroupFields
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
    fragment FailureGroupFields on FailureGroup {
  id
  service
  errorCode
  sampleMessage
  count
  runsAffected
  firstSeen
  lastSeen
  status
}`) as unknown as TypedDocumentString<FailureGroupsQuery, FailureGroupsQueryVariables>;
export const FailureStatsDocument = new TypedDocumentString(`
    query FailureStats($sinceHours: Int!) {
  failureStats(sinceHours: $sinceHours) {
    sinceHours
    total
    matched
    matchRate
    recovered
    recoveryRate
    meanTimeToRecoverySeconds
    topCodes {
      key
      count
    }
    topCategories {
      key
      count
    }
  }
}
    `) as unknown as TypedDocumentString<FailureStatsQuery, FailureStatsQueryVariables>;
export const UpdateFailureRecoveryDocument = new TypedDocumentString(`
    mutation UpdateFailureRecovery($id: ID!, $input: RecoveryUpdateInput!) {
  updateFailureRecovery(id: $id, input: $input) {
    id
    recoveryStatus
  }
}
    `) as unknown as TypedDocumentString<UpdateFailureRecoveryMutation, UpdateFailureRecoveryMutationVariables>;
export const UpdateFailureGroupRecoveryDocument = new TypedDocumentString(`
    mutation UpdateFailureGroupRecovery($id: ID!, $input: RecoveryUpdateInput!) {
  updateFailureGroupRecovery(id: $id, input: $input) {
    id
    status
  }
}
    `) as unknown as TypedDocumentString<UpdateFailureGroupRecoveryMutation, UpdateFailureGroupRecoveryMutationVariables>;
export const StartReviewDocument = new TypedDocumentString(`
    mutation StartReview($input: StartReviewInput!) {
  startReview(input: $input) {
    ...ReviewRunFields
  }
}
    fragment ReviewRunFields on ReviewRun {
  id
  status
  runType
  progressStep
  progressPct
  attempt
  traceId
  idempotencyKey
  model
  personaSetVersion
  decisionLabel
  overallConfidence
  createdAt
  startedAt
  finishedAt
  updatedAt
  error {
    code
    message
    retryable
    traceId
  }
  decision {
    label
    overallWeightedConfidence
    rationale
    dissent
    partial
    missingPersonas
  }
  personaReviews {
    personaId
    personaName
    weight
    confidence
    verdict
    summary
    blockingIssues
    securityConcerns
    securityBlocking
    attemptCount
    latencyMs
    error {
      code
      message
    }
  }
}`) as unknown as TypedDocumentString<StartReviewMutation, StartReviewMutationVariables>;
export const ReviseReviewDocument = new TypedDocumentString(`
    mutation ReviseReview($runId: ID!, $input: ReviseReviewInput!) {
  reviseReview(runId: $runId, input: $input) {
    ...ReviewRunFields
  }
}
    fragment ReviewRunFields on ReviewRun {
  id
  status
  runType
  progressStep
  progressPct
  attempt
  traceId
  idempotencyKey
  model
  personaSetVersion
  decisionLabel
  overallConfidence
  createdAt
  startedAt
  finishedAt
  updatedAt
  error {
    code
    message
    retryable
    traceId
  }
  decision {
    label
    overallWeightedConfidence
    rationale
    dissent
    partial
    missingPersonas
  }
  personaReviews {
    personaId
    personaName
    weight
    confidence
    verdict
    summary
    blockingIssues
    securityConcerns
    securityBlocking
    attemptCount
    latencyMs
    error {
      code
      message
    }
  }
}`) as unknown as TypedDocumentString<ReviseReviewMutation, ReviseReviewMutationVariables>;
export const ReviewRunDocument = new TypedDocumentString(`
    query ReviewRun($id: ID!) {
  reviewRun(id: $id) {
    ...ReviewRunFields
  }
}
    fragment ReviewRunFields on ReviewRun {
  id
  status
  runType
  progressStep
  progressPct
  attempt
  traceId
  idempotencyKey
  model
  personaSetVersion
  decisionLabel
  overallConfidence
  createdAt
  startedAt
  finishedAt
  updatedAt
  error {
    code
    message
    retryable
    traceId
  }
  decision {
    label
    overallWeightedConfidence
    rationale
    dissent
    partial
    missingPersonas
  }
  personaReviews {
    personaId
    personaName
    weight
    confidence
    verdict
    summary
    blockingIssues
    securityConcerns
    securityBlocking
    attemptCount
    latencyMs
    error {
      code
      message
    }
  }
}`) as unknown as TypedDocumentString<ReviewRunQuery, ReviewRunQueryVariables>;
export const ReviewRunDetailDocument = new TypedDocumentString(`
    query ReviewRunDetail($id: ID!) {
  reviewRun(id: $id) {
    ...ReviewRunFields
    idea
    parentRun {
      id
    }
    failures {
      ...FailureFields
    }
  }
}
    fragment FailureFields on FailureMatch {
  id
  runId
  service
  errorCode
  errorMessage
  matchType
  matchConfidence
  category
  severity
  retryable
  recoveryMode
  recoverySuggestion
  recoveryStatus
  recoveredAt
  recoveredBy
  stage
  traceId
  createdAt
}
fragment ReviewRunFields on ReviewRun {
  id
  status
  runType
  progressStep
  progressPct
  attempt
  traceId
  idempotencyKey
  model
  personaSetVersion
  decisionLabel
  overallConfidence
  createdAt
  startedAt
  finishedAt
  updatedAt
  error {
    code
    message
    retryable
    traceId
  }
  decision {
    label
    overallWeightedConfidence
    rationale
    dissent
    partial
    missingPersonas
  }
  personaReviews {
    personaId
    personaName
    weight
    confidence
    verdict
    summary
    blockingIssues
    securityConcerns
    securityBlocking
    attemptCount
    latencyMs
    error {
      code
      message
    }
  }
}`) as unknown as TypedDocumentString<ReviewRunDetailQuery, ReviewRunDetailQueryVariables>;
export const ReviewRunsDocument = new TypedDocumentString(`
    query ReviewRuns($first: Int, $after: String, $filter: ReviewRunFilter) {
  reviewRuns(first: $first, after: $after, filter: $filter) {
    nodes {
      id
      status
      runType
      progressPct
      decisionLabel
      overallConfidence
      createdAt
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
    `) as unknown as TypedDocumentString<ReviewRunsQuery, ReviewRunsQueryVariables>;
export const CancelReviewDocument = new TypedDocumentString(`
    mutation CancelReview($runId: ID!) {
  cancelReview(runId: $runId) {
    id
    status
  }
}
    `) as unknown as TypedDocumentString<CancelReviewMutation, CancelReviewMutationVariables>;
export const ReviewRunProgressDocument = new TypedDocumentString(`
    subscription ReviewRunProgress($runId: ID!) {
  reviewRunProgress(runId: $runId) {
    runId
    status
    progressStep
    progressPct
    attempt
    event
    personaId
    at
  }
}
    `) as unknown as TypedDocumentString<ReviewRunProgressSubscription, ReviewRunProgressSubscriptionVariables>;
export const RunKindDocument = new TypedDocumentString(`
    query RunKind($id: ID!) {
  scoringRun(id: $id) {
    id
  }
  reviewRun(id: $id) {
    id
  }
}
    `) as unknown as TypedDocumentString<RunKindQuery, RunKindQueryVariables>;
export const StartScoringRunDocument = new TypedDocumentString(`
    mutation StartScoringRun($input: StartScoringRunInput!) {
  startScoringRun(input: $input) {
    ...ScoringRunFields
  }
}
    fragment ScoringRunFields on ScoringRun {
  id
  status
  scorer
  progressStep
  progressPct
  attempt
  traceId
  idempotencyKey
  persistence
  createdAt
  startedAt
  finishedAt
  updatedAt
  subject {
    repository
    prNumber
    title
    diffBytes
  }
  error {
    code
    message
    retryable
    traceId
  }
  score {
    value
    band
    scorerVersion
    contentHash
    verifiedAt
    criteria {
      criterion
      score
      weight
      detail
    }
    violations {
      file
      line
      rule
      severity
      message
    }
  }
}`) as unknown as TypedDocumentString<StartScoringRunMutation, StartScoringRunMutationVariables>;
export const ScoringRunDocument = new TypedDocumentString(`
    query ScoringRun($id: ID!) {
  scoringRun(id: $id) {
    ...ScoringRunFields
  }
}
    fragment ScoringRunFields on ScoringRun {
  id
  status
  scorer
  progressStep
  progressPct
  attempt
  traceId
  idempotencyKey
  persistence
  createdAt
  startedAt
  finishedAt
  updatedAt
  subject {
    repository
    prNumber
    title
    diffBytes
  }
  error {
    code
    message
    retryable
    traceId
  }
  score {
    value
    band
    scorerVersion
    contentHash
    verifiedAt
    criteria {
      criterion
      score
      weight
      detail
    }
    violations {
      file
      line
      rule
      severity
      message
    }
  }
}`) as unknown as TypedDocumentString<ScoringRunQuery, ScoringRunQueryVariables>;
export const ScoringRunDetailDocument = new TypedDocumentString(`
    query ScoringRunDetail($id: ID!) {
  scoringRun(id: $id) {
    ...ScoringRunFields
    failures {
      ...FailureFields
    }
  }
}
    fragment FailureFields on FailureMatch {
  id
  runId
  service
  errorCode
  errorMessage
  matchType
  matchConfidence
  category
  severity
  retryable
  recoveryMode
  recoverySuggestion
  recoveryStatus
  recoveredAt
  recoveredBy
  stage
  traceId
  createdAt
}
fragment ScoringRunFields on ScoringRun {
  id
  status
  scorer
  progressStep
  progressPct
  attempt
  traceId
  idempotencyKey
  persistence
  createdAt
  startedAt
  finishedAt
  updatedAt
  subject {
    repository
    prNumber
    title
    diffBytes
  }
  error {
    code
    message
    retryable
    traceId
  }
  score {
    value
    band
    scorerVersion
    contentHash
    verifiedAt
    criteria {
      criterion
      score
      weight
      detail
    }
    violations {
      file
      line
      rule
      severity
      message
    }
  }
}`) as unknown as TypedDocumentString<ScoringRunDetailQuery, ScoringRunDetailQueryVariables>;
export const ScoringRunsDocument = new TypedDocumentString(`
    query ScoringRuns($first: Int, $after: String, $filter: ScoringRunFilter) {
  scoringRuns(first: $first, after: $after, filter: $filter) {
    nodes {
      id
      status
      scorer
      progressPct
      persistence
      createdAt
      subject {
        repository
        prNumber
      }
      score {
        value
        band
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
    `) as unknown as TypedDocumentString<ScoringRunsQuery, ScoringRunsQueryVariables>;
export const CancelScoringRunDocument = new TypedDocumentString(`
    mutation CancelScoringRun($id: ID!) {
  cancelScoringRun(id: $id) {
    id
    status
  }
}
    `) as unknown as TypedDocumentString<CancelScoringRunMutation, CancelScoringRunMutationVariables>;
export const ScoringRunProgressDocument = new TypedDocumentString(`
    subscription ScoringRunProgress($runId: ID!) {
  scoringRunProgress(runId: $runId) {
    runId
    status
    progressStep
    progressPct
    attempt
    at
  }
}
    `) as unknown as TypedDocumentString<ScoringRunProgressSubscription, ScoringRunProgressSubscriptionVariables>;
export const UnpersistedScoresDocument = new TypedDocumentString(`
    query UnpersistedScores($sinceHours: Int!) {
  unpersistedScores(sinceHours: $sinceHours) {
    id
    status
    persistence
    finishedAt
  }
}
    `) as unknown as TypedDocumentString<UnpersistedScoresQuery, UnpersistedScoresQueryVariables>;