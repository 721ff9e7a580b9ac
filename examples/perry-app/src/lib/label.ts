export function label(name: string, value: number): string {
  return name + " = " + value;
}
