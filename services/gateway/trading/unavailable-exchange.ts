import { AppError } from "../../../shared/errors.js";
import { type Exchange, exchangeMethods } from "../../exchange/client.js";

/** The exchange of a gateway built without one: every call answers `unavailable`. */
export function unavailableExchange(): Exchange {
  const refuse = async () => {
    throw new AppError("unavailable", "trading is not enabled on this gateway");
  };
  return Object.fromEntries(exchangeMethods.map((method) => [method, refuse])) as unknown as Exchange;
}
