import type { AssayContext } from '@assay/kit';
import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { FailureMatch } from '../failures/failure-match.entity.ts';
import { checkId } from '../ids.ts';
import { RecoveryUpdateInput } from './recovery.inputs.ts';
import type { RecoveryService } from './recovery.service.ts';
import { RecoveryChange } from './recovery-change.entity.ts';

@Resolver(() => FailureMatch)
export class RecoveryResolver {
  constructor(private readonly recovery: RecoveryService) {}

  @Mutation(() => FailureMatch, {
    description: 'Sets the recovery status of one failure; the change is kept in its recoveryHistory.',
  })
  updateFailureRecovery(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => RecoveryUpdateInput) input: RecoveryUpdateInput,
    @Ctx() { caller }: AssayContext,
  ): Promise<FailureMatch> {
    return this.recovery.update(checkId('failure', id), input, caller);
  }

  @FieldResolver(() => [RecoveryChange], {
    description: 'Every change of its recovery status, oldest first.',
  })
  recoveryHistory(@Root() failure: FailureMatch): Promise<RecoveryChange[]> {
    return this.recovery.history(failure.id);
  }
}
