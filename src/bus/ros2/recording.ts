// Recording while the node is configured (recording.enabled): every input and output of the loop to
// an MCAP file (src/log), the card and the node's configuration in its metadata.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { recordBus } from "../../log/bus-recorder.ts";
import { Recorder } from "../../log/recorder.ts";
import type { StartRecording } from "./node.ts";

export const startRecording: StartRecording = async (bus, topics, policy, config) => {
  mkdirSync(dirname(config.recording.path), { recursive: true });
  const recorder = await Recorder.open({ out: config.recording.path, card: policy.card, config });
  const recording = recordBus(bus, topics, recorder);
  return {
    async stop() {
      await recording.stop();
    },
  };
};
