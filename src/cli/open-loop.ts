// Open-loop scoring (`omniloop replay LOG --model M --open-loop`): run a policy over recorded
// episodes without a robot — feed each recorded observation o_k, take the predicted action p_{k+1},
// and compare it with what was done at that tick (the recorded command, else the next observed
// joint state). Errors are per joint, in the joint's own unit, per episode and overall.
import { columnOf } from "../omnitoken/card.ts";
import type { ModelCard } from "../omnitoken/card-types.ts";
import { cloneToken, textToken } from "../omnitoken/token.ts";
import { ByteTokenizer } from "../omnitoken/tokenizer.ts";
import type { Omnitoken } from "../omnitoken/types.ts";
import { denormaliseAction } from "../encoders/command.ts";
import { openLog } from "../log/reader.ts";
import { sampleEpisodes, type EpisodeInfo, type Tick } from "../log/sampler.ts";
import { defaultTopicMap, type TopicMap } from "../log/topic-map.ts";
import type { Policy } from "../policy/types.ts";

export interface OpenLoopEpisode {
  source: string;
  index: number;
  task?: string;
  command: string;
  outcome: string;
  ticks: number;
  /** Ticks with something to compare against (a recorded command or a next joint state). */
  scored: number;
  /** Root-mean-square error per joint, in the joint's unit. */
  rmse: Record<string, number>;
}

export interface OpenLoopResult {
  joints: { name: string; unit: string }[];
  episodes: OpenLoopEpisode[];
  overall: Record<string, number>;
}

/** Scores `policy` over every episode of `paths`. `onEpisode` reports progress. */
export async function scoreOpenLoop(
  paths: readonly string[],
  policy: Policy,
  options: { map?: TopicMap; onEpisode?: (e: OpenLoopEpisode) => void } = {},
): Promise<OpenLoopResult> {
  const card = policy.card;
  const action = columnOf(card, "action");
  if (!action) throw new Error(`model card ${card.name}: no action column to score`);
  const joints = action.action.joints.map((j) => ({ name: j.name, unit: j.unit }));
  const totalSq = new Float64Array(joints.length);
  let totalN = 0;
  const episodes: OpenLoopEpisode[] = [];
  for (const source of paths) {
    const log = await openLog(source);
    let ticks: Tick[] = [];
    for await (const ev of sampleEpisodes(log, card, options.map ?? defaultTopicMap(card))) {
      if (ev.type === "start") ticks = [];
      else if (ev.type === "tick") ticks.push(ev.tick);
      else if (ev.type === "end") {
        const e = await scoreEpisode(policy, card, source, ev.episode, ticks);
        e.sq.forEach((v, j) => (totalSq[j] = totalSq[j]! + v));
        totalN += e.result.scored;
        episodes.push(e.result);
        options.onEpisode?.(e.result);
      }
    }
  }
  const overall = Object.fromEntries(joints.map((j, i) => [j.name, totalN ? Math.sqrt(totalSq[i]! / totalN) : NaN]));
  return { joints, episodes, overall };
}

async function scoreEpisode(policy: Policy, card: ModelCard, source: string, ep: EpisodeInfo, ticks: Tick[]) {
  const action = columnOf(card, "action")!;
  const tokenizer = new ByteTokenizer(card.tokenizer);
  const stamp = ticks[0]?.observation.stamp ?? { sec: 0, nanosec: 0 };
  const prefix = tokenizer.command(ep.command).map((id, i) => textToken(card, id, i, stamp));
  await policy.start(prefix);
  const sq = new Float64Array(action.width);
  let scored = 0;
  for (let k = 0; k < ticks.length; k++) {
    // The token's step is its position in the episode's sequence, as in training and in the loop.
    const o: Omnitoken = { ...cloneToken(ticks[k]!.observation), step: prefix.length + k };
    const p = await policy.step(o);
    const predicted = p.columns[action.name];
    const target = ticks[k]!.command ?? nextObservedAction(ticks[k + 1], action.name);
    if (!predicted || predicted.origin === "absent" || !target) continue;
    const a = denormaliseAction(predicted.data as Float32Array, action);
    const b = denormaliseAction(target, action);
    for (let j = 0; j < a.length; j++) sq[j] = sq[j]! + (a[j]! - b[j]!) ** 2;
    scored += 1;
  }
  const rmse = Object.fromEntries(action.action.joints.map((jt, j) => [jt.name, scored ? Math.sqrt(sq[j]! / scored) : NaN]));
  const result: OpenLoopEpisode = {
    source,
    index: ep.index,
    ...(ep.task ? { task: ep.task } : {}),
    command: ep.command,
    outcome: ep.outcome,
    ticks: ticks.length,
    scored,
    rmse,
  };
  return { result, sq };
}

function nextObservedAction(next: Tick | undefined, column: string): Float32Array | null {
  const cell = next?.observation.columns[column];
  return cell && cell.origin === "observed" ? (cell.data as Float32Array) : null;
}
