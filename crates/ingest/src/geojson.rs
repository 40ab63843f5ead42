//! GeoJSON FeatureCollection and GeoJSONSeq, read as a stream of typed features.
//!
//! The FeatureCollection is parsed with serde straight into redline's own feature records —
//! no `serde_json::Value` tree, no intermediate `geojson` types — and each feature is handed
//! on as soon as it is read, so memory follows the geometry, not the file text.

use crate::value::Value;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;

/// Raw polygons: polygon → rings → positions, as the file has them.
pub(crate) type RawPolygons = Vec<Vec<Vec<[f64; 2]>>>;

/// A feature's geometry as read, before validation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RawGeometry {
    /// `null` or absent.
    Null,
    /// Polygon or MultiPolygon.
    Polygons(RawPolygons),
    /// Any other geometry type (the name).
    Other(String),
    /// A Polygon/MultiPolygon whose coordinates have the wrong nesting.
    Malformed(String),
}

/// A feature as read, before validation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawFeature {
    pub id: Option<String>,
    pub geometry: RawGeometry,
    pub properties: Vec<(String, Value)>,
}

/// What the FeatureCollection's own members said.
#[derive(Debug, Default)]
pub(crate) struct CollectionHeader {
    pub crs_name: Option<String>,
    pub name: Option<String>,
}

/// Parses a FeatureCollection from `de`, calling `sink` for each feature in file order.
pub(crate) fn read_collection<'de, D, F>(de: D, sink: &mut F) -> Result<CollectionHeader, D::Error>
where
    D: Deserializer<'de>,
    F: FnMut(RawFeature),
{
    de.deserialize_map(CollectionVisitor { sink })
}

struct CollectionVisitor<'a, F> {
    sink: &'a mut F,
}

impl<'de, F: FnMut(RawFeature)> Visitor<'de> for CollectionVisitor<'_, F> {
    type Value = CollectionHeader;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a GeoJSON FeatureCollection object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut header = CollectionHeader::default();
        let mut saw_features = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "type" => {
                    let kind: String = map.next_value()?;
                    if kind != "FeatureCollection" {
                        return Err(de::Error::custom(format!(
                            "type is {kind:?}, expected \"FeatureCollection\""
                        )));
                    }
                }
                "features" => {
                    map.next_value_seed(FeaturesSeed {
                        sink: &mut *self.sink,
                    })?;
                    saw_features = true;
                }
                "crs" => header.crs_name = crs_name(&map.next_value::<serde_json::Value>()?),
                "name" => header.name = map.next_value::<Option<String>>()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !saw_features {
            return Err(de::Error::custom("no \"features\" member"));
        }
        Ok(header)
    }
}

/// The name in a legacy `crs` member: `{"type": "name", "properties": {"name": "EPSG:4529"}}`.
fn crs_name(crs: &serde_json::Value) -> Option<String> {
    crs.pointer("/properties/name")
        .and_then(|v| v.as_str())
        .map(str::to_string)
}

struct FeaturesSeed<'a, F> {
    sink: &'a mut F,
}

impl<'de, F: FnMut(RawFeature)> DeserializeSeed<'de> for FeaturesSeed<'_, F> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_seq(self)
    }
}

impl<'de, F: FnMut(RawFeature)> Visitor<'de> for FeaturesSeed<'_, F> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of features")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(feature) = seq.next_element::<RawFeature>()? {
            (self.sink)(feature);
        }
        Ok(())
    }
}

/// Keys of a Feature object, matched without allocating.
enum FeatureKey {
    Type,
    Id,
    Geometry,
    Properties,
    Other,
}

impl<'de> Deserialize<'de> for FeatureKey {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = FeatureKey;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FeatureKey, E> {
                Ok(match v {
                    "type" => FeatureKey::Type,
                    "id" => FeatureKey::Id,
                    "geometry" => FeatureKey::Geometry,
                    "properties" => FeatureKey::Properties,
                    _ => FeatureKey::Other,
                })
            }
        }
        de.deserialize_identifier(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for RawFeature {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        de.deserialize_map(FeatureVisitor)
    }
}

struct FeatureVisitor;

impl<'de> Visitor<'de> for FeatureVisitor {
    type Value = RawFeature;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a GeoJSON Feature object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawFeature, A::Error> {
        let mut feature = RawFeature {
            id: None,
            geometry: RawGeometry::Null,
            properties: Vec::new(),
        };
        while let Some(key) = map.next_key::<FeatureKey>()? {
            match key {
                FeatureKey::Type => {
                    let kind: String = map.next_value()?;
                    if kind != "Feature" {
                        return Err(de::Error::custom(format!(
                            "type is {kind:?}, expected \"Feature\""
                        )));
                    }
                }
                FeatureKey::Id => feature.id = map.next_value::<ScalarValue>()?.0.as_text(),
                FeatureKey::Geometry => {
                    feature.geometry = map
                        .next_value::<Option<GeometryValue>>()?
                        .map_or(RawGeometry::Null, |g| g.0)
                }
                FeatureKey::Properties => {
                    feature.properties = map
                        .next_value::<Option<Properties>>()?
                        .map(|p| p.0)
                        .unwrap_or_default()
                }
                FeatureKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(feature)
    }
}

/// A property value: scalars as they are, arrays and objects kept as their JSON text.
struct ScalarValue(Value);

impl<'de> Deserialize<'de> for ScalarValue {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ScalarValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a property value")
            }
            fn visit_bool<E>(self, v: bool) -> Result<ScalarValue, E> {
                Ok(ScalarValue(Value::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<ScalarValue, E> {
                Ok(ScalarValue(Value::Number(v as f64)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<ScalarValue, E> {
                Ok(ScalarValue(Value::Number(v as f64)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<ScalarValue, E> {
                Ok(ScalarValue(Value::Number(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<ScalarValue, E> {
                Ok(ScalarValue(Value::Text(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<ScalarValue, E> {
                Ok(ScalarValue(Value::Text(v)))
            }
            fn visit_unit<E>(self) -> Result<ScalarValue, E> {
                Ok(ScalarValue(Value::Null))
            }
            fn visit_none<E>(self) -> Result<ScalarValue, E> {
                Ok(ScalarValue(Value::Null))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<ScalarValue, D::Error> {
                ScalarValue::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<ScalarValue, A::Error> {
                let v = serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                Ok(ScalarValue(Value::Text(v.to_string())))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ScalarValue, A::Error> {
                let v = serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(ScalarValue(Value::Text(v.to_string())))
            }
        }
        de.deserialize_any(V)
    }
}

struct Properties(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Properties {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Properties;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a properties object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Properties, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some((k, v)) = map.next_entry::<String, ScalarValue>()? {
                    out.push((k, v.0));
                }
                Ok(Properties(out))
            }
        }
        de.deserialize_map(V)
    }
}

struct GeometryValue(RawGeometry);

impl<'de> Deserialize<'de> for GeometryValue {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        de.deserialize_map(GeometryVisitor)
    }
}

struct GeometryVisitor;

impl<'de> Visitor<'de> for GeometryVisitor {
    type Value = GeometryValue;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a GeoJSON geometry object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<GeometryValue, A::Error> {
        let mut kind: Option<String> = None;
        let mut tree = CoordTree::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "type" => kind = Some(map.next_value()?),
                "coordinates" => map.next_value_seed(Level {
                    tree: &mut tree,
                    depth: 1,
                })?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let kind = kind.ok_or_else(|| de::Error::custom("geometry has no \"type\""))?;
        Ok(GeometryValue(tree.into_geometry(kind)))
    }
}

/// Nested coordinate arrays of any depth, flattened: every position, and where each array
/// that holds arrays closed (its depth and the number of positions read so far).
#[derive(Default)]
struct CoordTree {
    xy: Vec<[f64; 2]>,
    closes: Vec<(u8, usize)>,
    position_depth: Option<u8>,
    mixed: bool,
}

impl CoordTree {
    fn into_geometry(self, kind: String) -> RawGeometry {
        let expected = match kind.as_str() {
            "Polygon" => 3,
            "MultiPolygon" => 4,
            _ => return RawGeometry::Other(kind),
        };
        let depth = match self.position_depth {
            None => return RawGeometry::Polygons(Vec::new()), // empty coordinates
            Some(d) if d == expected && !self.mixed => d,
            Some(_) => {
                return RawGeometry::Malformed(format!(
                    "{kind} coordinates are not nested {} deep",
                    expected - 1
                ))
            }
        };
        let (mut polygons, mut rings, mut start) = (Vec::new(), Vec::new(), 0);
        for (d, end) in self.closes {
            if d == depth - 1 {
                rings.push(self.xy[start..end].to_vec());
                start = end;
            } else if d == depth - 2 {
                polygons.push(std::mem::take(&mut rings));
            }
        }
        RawGeometry::Polygons(polygons)
    }
}

/// One array level of `coordinates`.
struct Level<'a> {
    tree: &'a mut CoordTree,
    depth: u8,
}

impl<'de> DeserializeSeed<'de> for Level<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Level<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a coordinate array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let (mut numbers, mut count, mut arrays) = ([0.0; 2], 0usize, false);
        let depth = self.depth;
        loop {
            let element = Element {
                tree: &mut *self.tree,
                depth: depth.saturating_add(1),
            };
            match seq.next_element_seed(element)? {
                None => break,
                Some(Item::Number(v)) => {
                    if count < 2 {
                        numbers[count] = v;
                    }
                    count += 1;
                }
                Some(Item::Array) => arrays = true,
            }
        }
        if count > 0 && arrays {
            return Err(de::Error::custom(
                "coordinate array mixes numbers and arrays",
            ));
        }
        if count > 0 {
            if count < 2 {
                return Err(de::Error::custom("a position needs at least two numbers"));
            }
            self.tree.xy.push(numbers);
            match self.tree.position_depth {
                None => self.tree.position_depth = Some(depth),
                Some(d) if d != depth => self.tree.mixed = true,
                _ => {}
            }
        } else {
            self.tree.closes.push((depth, self.tree.xy.len()));
        }
        Ok(())
    }
}

enum Item {
    Number(f64),
    Array,
}

struct Element<'a> {
    tree: &'a mut CoordTree,
    depth: u8,
}

impl<'de> DeserializeSeed<'de> for Element<'_> {
    type Value = Item;
    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Item, D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Element<'_> {
    type Value = Item;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number or a coordinate array")
    }
    fn visit_f64<E>(self, v: f64) -> Result<Item, E> {
        Ok(Item::Number(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Item, E> {
        Ok(Item::Number(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Item, E> {
        Ok(Item::Number(v as f64))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Item, A::Error> {
        Level {
            tree: self.tree,
            depth: self.depth,
        }
        .visit_seq(seq)?;
        Ok(Item::Array)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_one(json: &str) -> RawFeature {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn polygon_and_multipolygon_nesting() {
        let f = parse_one(
            r#"{"type":"Feature","id":7,"properties":{"DLBM":"0101","TBMJ":12.5,"X":null},
            "geometry":{"coordinates":[[[0,0],[1,0],[1,1],[0,0]],[[0.1,0.1],[0.2,0.1],[0.2,0.2],[0.1,0.1]]],"type":"Polygon"}}"#,
        );
        assert_eq!(f.id.as_deref(), Some("7"));
        assert_eq!(
            f.properties[0],
            ("DLBM".to_string(), Value::Text("0101".into()))
        );
        assert_eq!(f.properties[1].1, Value::Number(12.5));
        assert_eq!(f.properties[2].1, Value::Null);
        let RawGeometry::Polygons(p) = f.geometry else {
            panic!()
        };
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].len(), 2);
        assert_eq!(p[0][1][2], [0.2, 0.2]);

        let f = parse_one(
            r#"{"type":"Feature","properties":{},"geometry":{"type":"MultiPolygon","coordinates":
            [[[[0,0,5],[1,0,5],[1,1,5],[0,0,5]]],[[[2,2],[3,2],[3,3],[2,2]]]]}}"#,
        );
        let RawGeometry::Polygons(p) = f.geometry else {
            panic!()
        };
        assert_eq!((p.len(), p[1][0][1]), (2, [3.0, 2.0]));
    }

    #[test]
    fn other_and_malformed_geometries() {
        let f = parse_one(
            r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":null}"#,
        );
        assert_eq!(f.geometry, RawGeometry::Other("Point".into()));
        let f = parse_one(
            r#"{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[0,0],[1,1]]}}"#,
        );
        assert!(matches!(f.geometry, RawGeometry::Malformed(_)));
        let f = parse_one(r#"{"type":"Feature","geometry":null,"properties":{}}"#);
        assert_eq!(f.geometry, RawGeometry::Null);
    }

    #[test]
    fn collection_header_and_stream() {
        let text = r#"{"type":"FeatureCollection","name":"DLTB","crs":{"type":"name","properties":{"name":"EPSG:4529"}},
            "features":[{"type":"Feature","geometry":null,"properties":{"a":1}},{"type":"Feature","geometry":null,"properties":{"a":2}}]}"#;
        let mut seen = Vec::new();
        let mut de = serde_json::Deserializer::from_str(text);
        let header = read_collection(&mut de, &mut |f: RawFeature| {
            seen.push(f.properties[0].1.clone())
        })
        .unwrap();
        assert_eq!(header.crs_name.as_deref(), Some("EPSG:4529"));
        assert_eq!(header.name.as_deref(), Some("DLTB"));
        assert_eq!(seen, vec![Value::Number(1.0), Value::Number(2.0)]);
    }
}
