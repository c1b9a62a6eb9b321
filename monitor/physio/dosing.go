package physio

// HeparinDose returns the initial heparin dose in IU: weight (kg) × IU/kg
// (Constants.HeparinIUPerKg; 300–400 IU/kg, 300 the most common in Europe
// by a 2025 survey, perfusion.md §2).
func HeparinDose(weightKg, iuPerKg float64) float64 { return weightKg * iuPerKg }

// ProtamineDose returns the protamine dose in mg to neutralise heparinIU:
// heparin (IU) / 100 × mg per 100 IU (Constants.ProtamineMgPer100IU, 1.0 by
// default). There is no single guideline ratio (1.3 in one trial arm,
// perfusion.md §2), hence the setting.
func ProtamineDose(heparinIU, mgPer100IU float64) float64 { return heparinIU / 100 * mgPer100IU }
