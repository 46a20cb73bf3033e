/**
 * A feature's settings: a class in `src/<feature>/<feature>.settings.ts` whose properties are its environment
 * variables (documented, defaults inline, class-validator rules), listed once in `SETTINGS`
 * (src/config/app-config.ts), which loadConfig validates and ConfigModule provides, each class as its own token.
 */
export type SettingsClass<S extends object = object> = new () => S;

/** Another class's loaded settings, for the checks of one feature that read a shared or related variable. */
export type SettingsLookup = <S extends object>(type: SettingsClass<S>) => S;

export interface Settings {
  /**
   * Problems that one variable's own rules cannot see: between variables, and production's refusals. Run once
   * every variable of every class is valid; each problem starts with the name of the variable to change.
   */
  problems?(settings: SettingsLookup): string[];
}
