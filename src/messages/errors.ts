// The error every message check throws: which message type, which field, what was expected and
// what was found, e.g. `invalid sensor_msgs/msg/Image: step: expected at least 1920 (width 640 ×
// 3 bytes per pixel of rgb8), got 640`.

export class MessageError extends Error {
  /** The ROS 2 type name the message was checked as. */
  readonly type: string;
  /** Path of the offending field (`detections[2].bbox.size.x`); "" for the message itself. */
  readonly field: string;
  readonly reason: string;
  constructor(type: string, field: string, reason: string) {
    super(`invalid ${type}: ${field === "" ? "" : `${field}: `}${reason}`);
    this.name = "MessageError";
    this.type = type;
    this.field = field;
    this.reason = reason;
  }
}
