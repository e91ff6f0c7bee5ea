// The `--foxglove [HOST:]PORT` flag, read the same way by every command that serves the live view.
import { CliError } from "./errors.ts";
import { parseViewAddress, ViewAddressError, type ViewAddress } from "../view/address.ts";

export function viewAddressFlag(flag: string | true, command: string): ViewAddress {
  try {
    return parseViewAddress(flag);
  } catch (err) {
    if (err instanceof ViewAddressError) throw new CliError(`${command}: ${err.message}`);
    throw err;
  }
}
